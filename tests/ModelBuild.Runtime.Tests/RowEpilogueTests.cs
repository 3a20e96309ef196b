using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="RowEpilogue"/> (a conv tile's per-channel copy of its <see cref="Epilogue"/>) must store the bits
/// <see cref="Epilogue"/>'s own vector stores give: for float weights and for symmetric and asymmetric int8 (scales,
/// zero points), with and without bias and ReLU, for channels with and without a residual, and for the values whose
/// bits are easiest to lose: −0, NaN, infinities and subnormals.
/// </summary>
public sealed class RowEpilogueTests
{
    private static readonly float[] s_special = [-0f, 0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-42f, -1e-42f, -1.5f];

    [Theory]
    [InlineData(WeightFormat.Float32, true, true, 0)]
    [InlineData(WeightFormat.Float32, false, false, 0)]
    [InlineData(WeightFormat.Float32, true, true, 3)]
    [InlineData(WeightFormat.Float32, false, true, 5)]
    [InlineData(WeightFormat.Int8, true, true, 0)]
    [InlineData(WeightFormat.Int8, false, false, 0)]
    [InlineData(WeightFormat.Int8Asymmetric, true, true, 0)]
    [InlineData(WeightFormat.Int8Asymmetric, false, true, 0)]
    public void RowStores_AreTheEpiloguesStores_BitForBit(WeightFormat format, bool withBias, bool relu, int residualRows)
    {
        const int rows = 6;
        var rng = new Random((int)format + (withBias ? 10 : 0) + (relu ? 20 : 0) + residualRows);
        (WeightMatrix w, _) = TestData.Matrix(rng, format, rows, 4);
        float[] bias = withBias ? TestData.Floats(rng, rows) : [];
        var act = relu ? Activation.Relu : Activation.None;
        var ep = format == WeightFormat.Float32 ? new Epilogue(bias, act) : new Epilogue(w, bias, act);
        if (residualRows > 0)
        {
            ep = ep.WithResidual(0, residualRows);
        }

        float[] dots = [.. s_special, .. TestData.Floats(rng, 8), .. TestData.Floats(rng, 16).Select(v => v * 1e30f)];
        for (int j = 0; j < rows; j++)
        {
            RowEpilogue row = ep.Row(j);
            for (int at = 0; at + 8 <= dots.Length; at += 8)
            {
                var dot = Vector256.Create(dots.AsSpan(at, 8));
                float[] expected = new float[8], actual = new float[8];
                ep.Store(j, dot, ref expected[0]);
                row.Store(dot, ref actual[0]);
                AssertSameBits(expected, actual, j);

                var dot128 = Vector128.Create(dots.AsSpan(at, 4));
                ep.Store(j, dot128, ref expected[0]);
                row.Store(dot128, ref actual[0]);
                AssertSameBits(expected, actual, j);
            }
        }
    }

    private static void AssertSameBits(float[] expected, float[] actual, int row)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"row {row}, element {i}: {expected[i]:R} from Epilogue, {actual[i]:R} from RowEpilogue");
        }
    }
}
