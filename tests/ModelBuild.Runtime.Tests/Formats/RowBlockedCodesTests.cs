using ModelBuild.Runtime.Formats;
using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>
/// Formats 4 and 5 with row-blocked codes (flag bit 2, docs/FORMATS.md): written here bit by bit from the document,
/// they decode to the same values as the LSB-first stream, Dense reads them in place (no regrouped copy) with the
/// same results, and a corrupt padding or a misuse of the flag is an error naming the entry.
/// </summary>
public sealed class RowBlockedCodesTests
{
    private const int N = 5;

    public static TheoryData<byte, int, int, int> Cases() => new()
    {
        // code, bits, cols, group (0 = per channel): columns that leave a partial block, groups of whole blocks.
        { 4, 4, 37, 0 }, { 4, 4, 80, 16 }, { 4, 3, 29, 0 }, { 4, 3, 48, 8 }, { 4, 2, 70, 32 }, { 4, 1, 65, 0 },
        { 5, 4, 37, 0 }, { 5, 3, 19, 0 }, { 5, 2, 33, 0 }, { 5, 1, 9, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Row_blocked_codes_load_in_place_and_compute_as_the_stream_does(byte code, int bits, int cols, int group)
    {
        var rng = new Random((bits * 100) + cols);
        int[] codes = Enumerable.Range(0, N * cols).Select(_ => rng.Next(1 << bits)).ToArray();
        (byte[] header, int flagAt) = Header(code, bits, cols, group, rng);
        byte[] stream = Concat(header, Bits(codes, bits));
        header[flagAt] |= 4;
        byte[] blocked = Concat(header, RowBlocked(codes, bits, N, cols));

        WeightBlob fromStream = Blob(code, cols, stream), fromBlocks = Blob(code, cols, blocked);
        float[] expected = CompactDecoder.Decode(code, stream, N, cols, "w", SimdLevel.Scalar);
        Assert.Equal(expected, fromBlocks.Matrix(0).Floats.ToArray());
        Assert.Equal(expected, CompactDecoder.Decode(code, blocked, N, cols, "w", SimdLevel.Scalar));

        DirectWeights inPlace = fromBlocks.DenseMatrix(0).Direct!, copied = fromStream.DenseMatrix(0).Direct!;
        Assert.True(inPlace.CodesInPlace);
        Assert.False(copied.CodesInPlace);
        Assert.Equal(copied.CodeBytes.ToArray(), inPlace.CodeBytes.ToArray());

        float[] x = Enumerable.Range(0, 3 * cols).Select(_ => (rng.NextSingle() * 2) - 1).ToArray();
        float[] bias = Enumerable.Range(0, N).Select(_ => rng.NextSingle()).ToArray();
        foreach (SimdLevel level in new[] { SimdLevel.Scalar, Simd.Best })
        {
            for (int batch = 1; batch <= 3; batch += 2)
            {
                float[] a = new float[batch * N], b = new float[batch * N];
                Kernels.Dense(level, x.AsSpan(0, batch * cols), fromStream.DenseMatrix(0), bias, a, batch, Activation.None);
                Kernels.Dense(level, x.AsSpan(0, batch * cols), fromBlocks.DenseMatrix(0), bias, b, batch, Activation.None);
                Assert.Equal(a, b);
            }
        }
    }

    public static TheoryData<string, byte, byte[], string> Corruptions() => new()
    {
        // Two rows of 5 int4 codes: one 8-byte block each, then 8 spare bytes.
        { "padding code", 4, Concat([4, 4, 0, 0], U32(5), F32(1f, 1f), Block(0x10, 0), new byte[8], new byte[8]), "padding code at column 8" },
        { "spare byte", 4, Concat([4, 4, 0, 0], U32(5), F32(1f, 1f), new byte[16], [0, 0, 0, 0, 0, 0, 0, 1]), "bytes after the row-blocked codes" },
        { "short blocks", 4, Concat([4, 4, 0, 0], U32(5), F32(1f, 1f), new byte[16]), "needs exactly" },
        { "blocked int5", 4, Concat([5, 4, 0, 0], U32(5), F32(1f, 1f), new byte[24]), "1..4-bit codes, not 5-bit" },
        { "blocked ternary", 4, Concat([2, 6, 0, 0], U32(5), F32(1f, 1f), new byte[24]), "not ternary" },
        { "palette flag 1", 5, Concat([1, 1, 0, 0], U32(2), F32(0f, 1f), [0, 0]), "flags 0x01" },
        { "palette padding", 5, Concat([1, 4, 0, 0], U32(2), F32(0f, 1f), Block(0, 0x20), new byte[8], new byte[8]), "padding code at column 45" },
        { "sparse of blocked", 8, Concat([0, 4, 0, 0], U32(1, 2), Pad4([0x01, 0]), [4, 4, 0, 0], U32(5), F32(1f, 1f), new byte[24]), "kept values" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Corrupt_row_blocked_payloads_throw_naming_the_entry(string name, byte code, byte[] payload, string fragment)
    {
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec(name, WeightFormat.Float32, [2, 5], payload) { FormatOverride = code }]));
        var ex = Assert.Throws<InvalidDataException>(() => blob.DenseMatrix(0));
        Assert.Contains($"'{name}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A row of 2^31 − 57 one-bit codes: (cols + 63) overflowed int in the block arithmetic, and the negative row length
    /// made a 20-byte payload look exact, so slicing it threw ArgumentOutOfRangeException instead of naming the entry.
    /// </summary>
    [Fact]
    public void A_row_too_long_for_int_arithmetic_is_invalid_data()
    {
        const int Cols = 2147483591;
        byte[] payload = Concat([1, 4, 0, 0], U32(32), new byte[12]);
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("huge", WeightFormat.Float32, [1, Cols], payload) { FormatOverride = 4 }]));
        var ex = Assert.Throws<InvalidDataException>(() => blob.DenseMatrix(0));
        Assert.Contains("'huge'", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>An 8-byte block whose byte <c>j</c> is <paramref name="b0"/> for j = 0 and <paramref name="b5"/> for j = 5.</summary>
    private static byte[] Block(byte b0, byte b5) => [b0, 0, 0, 0, 0, b5, 0, 0];

    private static (byte[] Header, int FlagAt) Header(byte code, int bits, int cols, int group, Random rng)
    {
        if (code == 5)
        {
            float[] books = Enumerable.Range(0, 2 << bits).Select(_ => rng.NextSingle() - 0.5f).ToArray(); // 2 books of 3 and 2 rows
            return (Concat([(byte)bits, 0, 0, 0], U32(3), F32(books)), 1);
        }

        int g = group == 0 ? cols : group, perRow = (cols + g - 1) / g;
        float[] scales = Enumerable.Range(0, N * perRow).Select(_ => rng.NextSingle()).ToArray();
        byte[] zps = Pad4(Enumerable.Range(0, N * perRow).Select(_ => (byte)rng.Next(-3, 4)).ToArray());
        return (Concat([(byte)bits, 1, 0, 0], U32((uint)g), F32(scales), zps), 1);
    }

    private static WeightBlob Blob(byte code, int cols, byte[] payload) =>
        WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [N, cols], payload) { FormatOverride = code }]));
}
