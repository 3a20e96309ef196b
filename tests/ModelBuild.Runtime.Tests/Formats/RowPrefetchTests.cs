using ModelBuild.Runtime.Formats;
using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>
/// The batch-1 kernels' software prefetch (<see cref="RowPrefetch"/>, on for layers of 2 MB or more) is a hint only:
/// with it forced on for every layer, each weight format's batch-1 path gives the bits it gives with it off, and both
/// match float64 dot products. Small layers keep the tests fast; the threshold is what is switched.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class RowPrefetchTests
{
    // N = 9: two whole 4-row blocks and a partial one (its "next block" lies past the last row); K = 1000 runs the
    // 512-bit and 256-bit loops and their tails.
    private const int N = 9, K = 1000;

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        foreach (int level in new[] { 0, 1, 2 })
        {
            foreach (string format in new[] { "int8", "float32", "int4", "int3", "int2", "int1", "pal4", "pal4-grid", "pal3" })
            {
                data.Add(level, format);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forced_prefetch_changes_no_bit_of_a_batch_1_dense(int level, string format)
    {
        (WeightMatrix w, double[] wd) = Weights(format);
        var rng = new Random(K + N);
        float[] x = TestData.Floats(rng, K), bias = TestData.Floats(rng, N);
        float[] without = new float[N], with = new float[N];
        long saved = RowPrefetch.MinBytes;
        try
        {
            RowPrefetch.MinBytes = long.MaxValue;
            Kernels.Dense((SimdLevel)level, x, w, bias, without, 1, Activation.None);
            RowPrefetch.MinBytes = 0;
            Kernels.Dense((SimdLevel)level, x, w, bias, with, 1, Activation.None);
        }
        finally
        {
            RowPrefetch.MinBytes = saved;
        }

        Assert.Equal(without, with);
        double[] expected = Reference.Dense(x, wd, bias, 1, N, K, false, out double[] magnitude);
        TestData.AssertClose(expected, with, Tolerances.Dot, 1e-6, magnitude);
    }

    private static (WeightMatrix W, double[] Wd) Weights(string format)
    {
        var rng = new Random(format.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        if (format is "int8" or "float32")
        {
            return TestData.Matrix(rng, format == "int8" ? WeightFormat.Int8 : WeightFormat.Float32, N, K);
        }

        int bits = format[^1] - '0';
        if (format.StartsWith("int", StringComparison.Ordinal))
        {
            float[] scales = [.. Enumerable.Range(0, N).Select(_ => 0.01f + (0.1f * rng.NextSingle()))];
            int[] codes = [.. Enumerable.Range(0, N * K).Select(_ => rng.Next(1 << bits))];
            double[] wd = [.. codes.Select((u, i) => (double)(float)((u - (1 << (bits - 1))) * (double)scales[i / K]))];
            return (Load(4, Concat([(byte)bits, 0, 0, 0], U32(K), F32(scales), Bits(codes, bits))), wd);
        }

        bool grid = format.EndsWith("-grid", StringComparison.Ordinal);
        bits = grid ? 4 : bits;
        int size = 1 << bits;
        float[] table = grid
            ? [.. Enumerable.Range(0, size).Select(e => ((e * 16) - 127) / 512f)] // k·s, k = −127, −111, …, 113, s = 2^−9: on the int8 grid
            : [.. Enumerable.Range(0, size).Select(_ => rng.NextSingle() - 0.5f)];
        int[] palette = [.. Enumerable.Range(0, N * K).Select(_ => rng.Next(size))];
        double[] values = [.. palette.Select(u => (double)table[u])];
        WeightMatrix w = Load(5, Concat([(byte)bits, 0, 0, 0], U32(1000), F32(table), Bits(palette, bits)));
        Assert.Equal(grid, w.Direct!.GridSteps.Length != 0);
        return (w, values);
    }

    private static WeightMatrix Load(byte code, byte[] payload) =>
        WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [N, K], payload) { FormatOverride = code }])).DenseMatrix(0);
}
