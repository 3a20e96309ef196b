namespace ModelBuild.Generator.Tests.Execution;

/// <summary>The two comparisons every execution test makes.</summary>
internal static class Expect
{
    /// <summary>
    /// ONNX Runtime and ModelBuild's kernels sum float32 products in different orders (SIMD lanes, blocking); on these
    /// small layers with inputs and weights in [-1, 1) the difference stays within a few ulps of the output's
    /// magnitude, so 1e-4 of max(1, max |expected|) fails on any real error (a wrong tap or index moves an output by ~0.1).
    /// </summary>
    public const float OrtTolerance = 1e-4f;

    public static void CloseToOrt(Tensor expected, float[] actual, int[] actualShape)
    {
        Assert.Equal(expected.Shape, actualShape);
        Assert.Equal(expected.Data.Length, actual.Length);
        var scale = Math.Max(1f, expected.Data.Length == 0 ? 0 : expected.Data.Max(MathF.Abs));
        for (var i = 0; i < actual.Length; i++)
        {
            Assert.True(MathF.Abs(expected.Data[i] - actual[i]) <= OrtTolerance * scale, $"element {i}: ONNX Runtime {expected.Data[i]:R}, generated {actual[i]:R}");
        }
    }

    /// <summary>Generated code and the interpreter construct the same op records and run the same kernels: equal bits.</summary>
    public static void BitIdentical(Tensor expected, float[] actual, int[] actualShape)
    {
        Assert.Equal(expected.Shape, actualShape);
        Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }
}
