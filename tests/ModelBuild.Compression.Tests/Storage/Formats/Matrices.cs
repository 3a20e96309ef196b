using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Tests.Storage.Formats;

/// <summary>Random representations with odd shapes for the format tests (seeded, so failures reproduce).</summary>
internal static class Matrices
{
    public static LinearQuantized Linear(int rows, int cols, int bits, int group, bool asym, bool ternary, int seed)
    {
        var rng = new Random(seed);
        int lo = ternary ? -1 : -(1 << (bits - 1)), hi = ternary ? 1 : (1 << (bits - 1)) - 1;
        var groups = rows * ((cols + group - 1) / group);
        var codes = Enumerable.Range(0, rows * cols).Select(_ => (sbyte)rng.Next(lo, hi + 1)).ToArray();
        var scales = Enumerable.Range(0, groups).Select(_ => (float)(rng.NextDouble() * 0.1) + 1e-3f).ToArray();
        var zps = asym ? Enumerable.Range(0, groups).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray() : null;
        return new LinearQuantized(rows, cols, bits, group, codes, scales, zps, ternary);
    }

    public static Palettized Palette(int rows, int cols, int bits, int rowsPerBook, int seed)
    {
        var rng = new Random(seed);
        var books = (rows + rowsPerBook - 1) / rowsPerBook;
        var codebooks = Enumerable.Range(0, books << bits).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var indices = Enumerable.Range(0, rows * cols).Select(_ => (byte)rng.Next(1 << bits)).ToArray();
        return new Palettized(rows, cols, bits, rowsPerBook, codebooks, indices);
    }

    public static HalfFloat Half(int rows, int cols, bool bf16, int seed)
    {
        var rng = new Random(seed);
        return new HalfFloat(rows, cols, Enumerable.Range(0, rows * cols).Select(_ => bf16
            ? (ushort)(BitConverter.SingleToUInt32Bits((float)(rng.NextDouble() - 0.5)) >> 16)
            : BitConverter.HalfToUInt16Bits((Half)(rng.NextDouble() - 0.5))).ToArray(), bf16);
    }

    public static DenseFloat Dense(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        return new DenseFloat(rows, cols, Enumerable.Range(0, rows * cols).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray());
    }

    public static bool[] Mask(int n, double density, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextDouble() < density).ToArray();
    }

    public static WithOutliers Outliers(StoredMatrix baseMatrix, int count, int seed)
    {
        var rng = new Random(seed);
        var n = baseMatrix.Rows * baseMatrix.Cols;
        var indices = Enumerable.Range(0, count).Select(_ => rng.Next(n)).ToArray(); // may repeat: the last wins
        var values = indices.Select(_ => BitConverter.HalfToUInt16Bits((Half)((rng.NextDouble() * 200) - 100))).ToArray();
        return new WithOutliers(baseMatrix.Rows, baseMatrix.Cols, baseMatrix, indices, values);
    }
}
