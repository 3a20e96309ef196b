using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelBuild.Onnx.Tests;

/// <summary>Runs a model on ONNX Runtime (the reference) with float inputs and returns every output as floats.</summary>
internal static class OrtRunner
{
    public static float[][] Run(byte[] model, IReadOnlyDictionary<string, (float[] Data, int[] Dims)> inputs)
    {
        using var session = new InferenceSession(model, Options());
        return Run(session, inputs);
    }

    public static float[][] Run(string modelPath, IReadOnlyDictionary<string, (float[] Data, int[] Dims)> inputs)
    {
        using var session = new InferenceSession(modelPath, Options());
        return Run(session, inputs);
    }

    private static SessionOptions Options() => new() { IntraOpNumThreads = 1, InterOpNumThreads = 1 };

    private static float[][] Run(InferenceSession session, IReadOnlyDictionary<string, (float[] Data, int[] Dims)> inputs)
    {
        var values = inputs.Select(kv => NamedOnnxValue.CreateFromTensor(kv.Key, new DenseTensor<float>(kv.Value.Data, kv.Value.Dims))).ToList();
        using var results = session.Run(values);
        return results.Select(r => r.AsTensor<float>().ToArray()).ToArray();
    }

    /// <summary>Bitwise comparison: the round trip must not change a single output bit.</summary>
    public static void AssertBitIdentical(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var o = 0; o < expected.Length; o++)
        {
            Assert.Equal(expected[o].Length, actual[o].Length);
            Assert.True(expected[o].Length > 0);
            for (var i = 0; i < expected[o].Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[o][i]) == BitConverter.SingleToInt32Bits(actual[o][i]),
                    $"output {o} element {i}: {expected[o][i]:R} vs {actual[o][i]:R}");
            }
        }
    }
}
