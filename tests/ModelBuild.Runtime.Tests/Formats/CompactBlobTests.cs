using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>Compact formats (docs/FORMATS.md) written by hand from the document, loaded and compared in float64.</summary>
public sealed class CompactBlobTests
{
    private static byte[] Linear(int bits, int flags, uint group, float[] scales, sbyte[]? zps, byte[] stream) => Concat(
        [(byte)bits, (byte)flags, 0, 0], U32(group), F32(scales), zps is null ? [] : Pad4(zps.Select(z => (byte)z).ToArray()), stream);

    private static float[] Load(byte code, int[] dims, byte[] payload, string name = "w")
    {
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec(name, WeightFormat.Float32, dims, payload) { FormatOverride = code }]));
        Assert.Equal(code, blob.StoredFormat(0));
        WeightMatrix m = blob.Matrix(0);
        Assert.Equal(WeightFormat.Float32, m.Format);
        Assert.Same(blob.Floats(0), blob.Floats(0));
        return m.Floats.ToArray();
    }

    private static (int[] Codes, float[] Expected) LinearCase(int rows, int cols, int group, int lo, int hi, float[] scales, sbyte[]? zps, int seed)
    {
        var rng = new Random(seed);
        int perRow = (cols + group - 1) / group;
        int[] q = Enumerable.Range(0, rows * cols).Select(_ => rng.Next(lo, hi + 1)).ToArray();
        float[] expected = q.Select((v, i) =>
        {
            int g = (i / cols * perRow) + (i % cols / group);
            return (float)((v - (zps?[g] ?? 0)) * (double)scales[g]);
        }).ToArray();
        return (q, expected);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(5, false)]
    [InlineData(7, true)]
    [InlineData(8, true)]
    public void Packed_linear_with_partial_groups_equals_float64(int bits, bool asym)
    {
        const int Rows = 3, Cols = 37, Group = 8; // 5 groups per row, the last of 5 columns
        float[] scales = Enumerable.Range(1, Rows * 5).Select(i => 0.01f * i).ToArray();
        sbyte[]? zps = asym ? Enumerable.Range(0, Rows * 5).Select(i => (sbyte)((i % 3) - 1)).ToArray() : null;
        int half = 1 << (bits - 1);
        var (q, expected) = LinearCase(Rows, Cols, Group, -half, half - 1, scales, zps, bits);
        byte[] payload = Linear(bits, asym ? 1 : 0, Group, scales, zps, Bits(q.Select(v => v + half).ToArray(), bits));
        Assert.Equal(expected, Load(4, [Rows, 1, Cols], payload));
    }

    [Fact]
    public void Ternary_equals_float64()
    {
        float[] scales = [0.5f, 0.25f, 2f, 3f];
        sbyte[] zps = [0, 1, -1, 0];
        var (q, expected) = LinearCase(2, 11, 6, -1, 1, scales, zps, 3);
        byte[] payload = Linear(2, 3, 6, scales, zps, Trits(q.Select(v => v + 1).ToArray()));
        Assert.Equal(expected, Load(4, [2, 11], payload));
    }

    [Fact]
    public void Palettized_equals_the_codebook_values()
    {
        float[] books = [-1f, -0.5f, 0.5f, 1f, 10f, 20f, 30f, 40f]; // 2-bit, rows 0-1 and row 2
        int[] idx = [0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 2, 3, 0, 0, 3];
        byte[] payload = Concat([2, 0, 0, 0], U32(2), F32(books), Bits(idx, 2));
        Assert.Equal(idx.Select((k, i) => books[(i / 5 / 2 * 4) + k]), Load(5, [3, 5], payload));
    }

    [Fact]
    public void Half_formats_decode_exactly()
    {
        float[] values = [1f, -2.5f, 65504f, 0.000061035156f, -0f, float.PositiveInfinity, 0.333251953125f];
        ushort[] fp16 = values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray();
        Assert.Equal(values, Load(6, [7], U16(fp16)));
        ushort[] bf16 = values.Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray();
        Assert.Equal(values.Select(v => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & 0xFFFF0000)), Load(7, [7, 1], U16(bf16)));
    }

    [Fact]
    public void Sparse_bitmask_with_float_values()
    {
        bool[] mask = [true, false, false, true, false, true, true, false, false, true, false];
        float[] kept = [1f, 2f, 3f, 4f, 5f];
        byte[] index = Bits(mask.Select(m => m ? 1 : 0).ToArray(), 1);
        byte[] payload = Concat([0, 1, 0, 0], U32(5, (uint)index.Length), Pad4(index), F32(kept));
        int k = 0;
        Assert.Equal(mask.Select(m => m ? kept[k++] : 0f), Load(8, [1, 11], payload));
    }

    [Fact]
    public void Sparse_csr_with_escaped_deltas_and_int4_values()
    {
        // 2 rows × 600 cols; row 0 keeps 3, 400 (delta 396 needs the escape), 599; row 1 keeps 0.
        byte[] index = Concat(U16(3, 1), [3], [255], U32(396), [198], [0]);
        float[] scales = [0.5f, 0.25f];
        int[] q = [-8, 7, 1, -3];
        byte[] inner = Linear(4, 0, 600, scales, null, Bits(q.Select(v => v + 8).ToArray(), 4));
        byte[] payload = Concat([1, 4, 2, 0], U32(4, (uint)index.Length), Pad4(index), inner);
        var expected = new float[1200];
        (expected[3], expected[400], expected[599], expected[600]) = (-4f, 3.5f, 0.5f, -0.75f);
        Assert.Equal(expected, Load(8, [2, 600], payload));
    }

    [Fact]
    public void Sparse_csr16_with_palettized_values()
    {
        byte[] index = Concat([2, 1], U16(0, 4, 2));
        byte[] inner = Concat([1, 0, 0, 0], U32(1), F32(-1f, 1f, -2f, 2f), Bits([1, 0, 1], 1));
        byte[] payload = Concat([2, 5, 1, 0], U32(3, (uint)index.Length), Pad4(index), inner);
        Assert.Equal([1f, 0, 0, 0, -1f, 0, 0, 2f, 0, 0], Load(8, [2, 5], payload));
    }

    [Fact]
    public void Outliers_replace_base_values()
    {
        byte[] baseBytes = U16(Enumerable.Repeat(BitConverter.HalfToUInt16Bits((Half)1f), 9).ToArray()); // 18 bytes
        byte[] payload = Concat([6, 0, 0, 0], U32(18, 2), Pad4(baseBytes), U32(2, 5), U16(BitConverter.HalfToUInt16Bits((Half)(-100f)), BitConverter.HalfToUInt16Bits((Half)300f)));
        Assert.Equal([1f, 1, -100, 1, 1, 1, 1, 300, 1], Load(9, [3, 3], payload));
    }

    public static TheoryData<string, byte, byte[], string> Corruptions() => new()
    {
        { "truncated int4", 4, Linear(4, 0, 5, [1f], null, [0x11, 0x11]), "needs exactly" },
        { "bits 9", 4, Linear(9, 0, 5, [1f], null, [0, 0, 0, 0, 0, 0]), "bits 9" },
        { "group 0", 4, Linear(4, 0, 0, [1f], null, [0, 0, 0]), "group size 0" },
        { "group > cols", 4, Linear(4, 0, 6, [1f], null, [0, 0, 0]), "group size 6" },
        { "padding bits", 4, Linear(4, 0, 5, [1f], null, [0, 0, 0xF0]), "unused" },
        { "ternary 250", 4, Linear(2, 2, 5, [1f], null, [250]), "ternary" },
        { "palette header", 5, Concat([0, 0, 0, 0], U32(1), F32(0f), [0]), "bits 0" },
        { "fp16 length", 6, U16(1, 2, 3, 4), "needs exactly" },
        { "sparse count", 8, Concat([0, 1, 0, 0], U32(2, 1), Pad4([0x01]), F32(1f, 2f)), "header says 2" },
        { "sparse inner code", 8, Concat([0, 9, 0, 0], U32(1, 1), Pad4([0x01]), F32(1f)), "inner format 9" },
        { "csr order", 8, Concat([1, 1, 1, 0], U32(2, 3), Pad4([2, 1, 5]), F32(1f, 2f)), "out of order" },
        { "outlier order", 9, Concat([6, 0, 0, 0], U32(10, 2), Pad4(new byte[10]), U32(3, 0), U16(1, 2)), "indices must increase" },
        { "outlier range", 9, Concat([6, 0, 0, 0], U32(10, 1), Pad4(new byte[10]), U32(5), U16(1)), "below 5" },
        { "outlier base", 9, Concat([6, 0, 0, 0], U32(8, 0), Pad4(new byte[8])), "needs exactly" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Corrupt_payloads_throw_naming_the_entry(string name, byte code, byte[] payload, string fragment)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Load(code, [1, 5], payload, name));
        Assert.Contains($"'{name}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compact_entries_are_checked_on_first_use_and_the_others_still_load()
    {
        // Issue 12: loading reads the table only, so a corrupt compact entry surfaces when a kernel first asks for it
        // (the generated predictor loads its blob inside the first Predict, so the caller sees it at the same call).
        byte[] corrupt = Linear(9, 0, 5, [1f], null, [0, 0, 0, 0, 0, 0]);
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write(
        [
            new BlobEntrySpec("fine", WeightFormat.Float32, [2], BlobWriter.Float32([1.5f, -2f])),
            new BlobEntrySpec("broken", WeightFormat.Float32, [1, 5], corrupt) { FormatOverride = 4 },
        ]));

        Assert.Equal([1.5f, -2f], blob.Floats(0));
        var ex = Assert.Throws<InvalidDataException>(() => blob.Matrix(1));
        Assert.Contains("'broken'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bits 9", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => blob.Floats(1)); // not cached as if it had worked
    }
}
