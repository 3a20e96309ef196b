using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="ZmmEpilogue"/> (the 512-bit conv tiles' branch-free epilogue: bias or −0, ReLU as a max with 0 or −∞) must
/// store the bits of <see cref="Epilogue"/>'s 256-bit residual add and store (what the other conv tiles use), on −0, NaN, infinities and subnormals in
/// both the sums and the residual, for channels with and without a residual, inline (<c>AddResidual</c>, <c>Store3</c>) and
/// in place (<c>Finish</c>, for a tile only partly covered by the residual).
/// </summary>
public sealed class ZmmEpilogueTests
{
    private const int Rows = 6, Width = 48;
    private static readonly float[] s_special = [-0f, 0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-42f, -1e-42f, -1.5f];

    [SkippableTheory]
    [InlineData(true, true, 0)]
    [InlineData(false, true, 0)]
    [InlineData(true, false, 0)]
    [InlineData(false, false, 0)]
    [InlineData(true, true, Rows)]
    [InlineData(false, true, Rows)]
    [InlineData(true, false, 4)]
    [InlineData(false, false, 1)]
    public void Stores_are_the_epilogues_stores_bit_for_bit(bool withBias, bool relu, int residualRows)
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "no AVX-512 here: the 512-bit tiles do not run");
        var rng = new Random((withBias ? 1 : 0) + (relu ? 2 : 0) + (4 * residualRows));
        float[] bias = withBias ? [.. s_special.Take(Rows - 2), .. TestData.Floats(rng, 2)] : [];
        float[] dots = Values(rng), residual = Values(rng);
        var ep = new Epilogue(bias, relu ? Activation.Relu : Activation.None);

        // One buffer per path: outputs in the first Rows × Width floats, the residual right after them.
        float[] expected = Buffer(residual), inline = Buffer(residual), finished = Buffer(residual);
        if (residualRows > 0)
        {
            ep = ep.WithResidual(Rows * Width, residualRows);
        }

        // Expected: the 256-bit stores the packed conv's other tiles use (all residuals of a row added before its stores).
        for (int j = 0; j < Rows; j++)
        {
            for (int o = 0; o < Width; o += 8)
            {
                var v = Vector256.Create(dots.AsSpan((j * Width) + o, 8));
                ep.AddResidual(j, ref v, ref expected[j * Width], (nuint)o);
                ep.Store(j, v, ref expected[j * Width], (nuint)o);
            }
        }

        ZmmEpilogue e = ep.Zmm();
        for (int j = 0; j < Rows; j++)
        {
            Vector512<float> a = Load(dots, j, 0), b = Load(dots, j, 16), c = Load(dots, j, 32);
            if (e.ResidualCovers(j, 1))
            {
                a = e.AddResidual(j, a, ref inline[j * Width]);
                b = e.AddResidual(j, b, ref inline[j * Width], 16);
                c = e.AddResidual(j, c, ref inline[j * Width], 32);
                e.WithoutBias().Store3(j, a, b, c, ref inline[j * Width]);
            }
            else
            {
                e.Store3(j, a, b, c, ref inline[j * Width]);
            }
        }

        // In place from channel 0, and from channel 2 (the rows are the layer's, as a tile's past the first are).
        Array.Copy(dots, finished, Rows * Width);
        e.Finish(0, 2, ref finished[0], Width, Width);
        e.Finish(2, Rows - 2, ref finished[2 * Width], Width, Width);

        AssertSameBits(expected, inline, "AddResidual/Store3");
        AssertSameBits(expected, finished, "Finish");
        Assert.Equal(residualRows == Rows, e.ResidualCovers(0, Rows));
    }

    private static float[] Values(Random rng) =>
        [.. s_special, .. s_special.Reverse(), .. TestData.Floats(rng, (Rows * Width) - 32), .. TestData.Floats(rng, 16).Select(v => v * 1e30f)];

    private static float[] Buffer(float[] residual)
    {
        var buffer = new float[2 * Rows * Width];
        residual.CopyTo(buffer, Rows * Width);
        return buffer;
    }

    private static Vector512<float> Load(float[] dots, int j, int o) => Vector512.Create(dots.AsSpan((j * Width) + o, 16));

    private static void AssertSameBits(float[] expected, float[] actual, string path)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{path}, element {i}: {expected[i]:R} from Epilogue, {actual[i]:R} from ZmmEpilogue");
        }
    }
}
