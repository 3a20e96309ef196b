using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Blob format 11 (float32 conv weights with rows interleaved in blocks of 4, CONTRACTS.md §2): the conv reads the
/// blocks in place (no row-major copy, no packed copy) and gives the bits of the same weights stored row-major (format
/// 1), which match the float64 reference; every other reader (Floats, Row, Floats(i)) sees row-major values; a table
/// that breaks the format's rules is refused with the entry named.
/// </summary>
public sealed class ConvBlocksTests
{
    public static TheoryData<int, int, int, int, int> Cases() => new()
    {
        // level, C, OC, group, stride: pointwise convs as the planner stores them (rows per group a multiple of 4) …
        { 2, 24, 16, 1, 1 },
        { 1, 24, 16, 1, 2 },
        { 0, 24, 16, 1, 1 },
        { 2, 16, 32, 2, 1 },
        { 2, 40, 36, 1, 1 },
        // … and rows per group of 2 (a blob the planner does not write, still valid): packed from the row-major copy.
        { 2, 8, 8, 4, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv_over_format_11_gives_the_row_major_bits_and_reads_the_blocks_in_place(int level, int c, int oc, int group, int stride)
    {
        const int h = 9, w = 11, batch = 2;
        int oh = ((h - 1) / stride) + 1, ow = ((w - 1) / stride) + 1, cols = c / group;
        var s = new Conv2DShape(c, h, w, oc, oh, ow, 1, 1, stride, stride, 1, 1, 0, 0, 0, 0, group);
        var rng = new Random(c + oc + group + stride + level);
        float[] weights = TestData.Floats(rng, oc * cols);
        float[] x = TestData.Floats(rng, batch * c * h * w);
        float[] bias = TestData.Floats(rng, oc);

        WeightBlob blob = WeightBlob.Load(BlobWriter.Write(
        [
            new BlobEntrySpec("rows", WeightFormat.Float32, [oc, cols, 1, 1], MemoryMarshal.AsBytes(weights.AsSpan()).ToArray()),
            new BlobEntrySpec("blocks", WeightFormat.Float32, [oc, cols, 1, 1], Blocked(weights, oc, cols)) { FormatOverride = 11 },
        ]));
        WeightMatrix rowMajor = blob.Matrix(0), blocked = blob.Matrix(1);
        var expected = new float[batch * oc * oh * ow];
        var actual = new float[expected.Length];
        Kernels.Conv2D((SimdLevel)level, x, rowMajor, bias, expected, new float[Kernels.Conv2DScratch(s)], s, batch, Activation.Relu);
        Kernels.Conv2D((SimdLevel)level, x, blocked, bias, actual, new float[Kernels.Conv2DScratch(s)], s, batch, Activation.Relu);

        Assert.Equal(11, blob.StoredFormat(1));
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(oc / group % 4 != 0, blocked.HasUnblockedCopy); // whole blocks per group: read where it lies
        double[] reference = Reference.Conv(x, weights.Select(v => (double)v).ToArray(), bias, s, batch, relu: true, out double[] magnitude);
        TestData.AssertClose(reference, actual, Tolerances.Dot, 1e-7, magnitude);
    }

    /// <summary>
    /// A blob read in place (as from an assembly's resource) whose payload lands at an address that is not a multiple
    /// of 4 bytes: the conv packs a copy instead of reading unaligned floats; aligned, it reads the blocks where they lie.
    /// Same bits either way.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public unsafe void A_blob_read_in_place_at_an_unaligned_address_packs_a_copy(int misalignment)
    {
        const int c = 12, oc = 8, h = 5, w = 6;
        var s = new Conv2DShape(c, h, w, oc, h, w, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);
        var rng = new Random(misalignment);
        float[] weights = TestData.Floats(rng, oc * c);
        float[] x = TestData.Floats(rng, c * h * w);
        byte[] blob = BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [oc, c, 1, 1], Blocked(weights, oc, c)) { FormatOverride = 11 }]);
        int tableEnd = blob.Length - (int)BitConverter.ToUInt64(blob, 12); // uncompressed: the payload ends the blob
        byte[] memory = GC.AllocateArray<byte>(blob.Length + 64, pinned: true);
        nint at = (nint)Unsafe.AsPointer(ref memory[0]);
        int start = (int)((64 - ((at + tableEnd) % 64) + misalignment) % 64); // payload at misalignment mod 64
        blob.CopyTo(memory, start);

        WeightBlob inPlace = WeightBlob.Load(memory.AsSpan(start, blob.Length), memory);
        WeightMatrix m = inPlace.Matrix(0);
        var y = new float[oc * h * w];
        Kernels.Conv2D(SimdLevel.Vector256, x, m, null, y, new float[Kernels.Conv2DScratch(s)], s, 1, Activation.None);
        var expected = new float[y.Length];
        WeightMatrix rowMajor = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [oc, c, 1, 1], MemoryMarshal.AsBytes(weights.AsSpan()).ToArray())])).Matrix(0);
        Kernels.Conv2D(SimdLevel.Vector256, x, rowMajor, null, expected, new float[Kernels.Conv2DScratch(s)], s, 1, Activation.None);

        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(misalignment % 4 != 0, m.HasUnblockedCopy);
    }

    [Fact]
    public void Format_11_reads_as_row_major_everywhere_else()
    {
        const int rows = 12, cols = 7;
        float[] weights = TestData.Floats(new Random(3), rows * cols);
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write(
            [new BlobEntrySpec("w", WeightFormat.Float32, [rows, cols], Blocked(weights, rows, cols)) { FormatOverride = 11 }]));

        WeightMatrix m = blob.Matrix(0);
        Assert.Equal(WeightFormat.Float32, m.Format);
        Assert.Equal(weights, m.Floats.ToArray());
        Assert.Equal(weights, m.Dequantize());
        Assert.Equal(weights, blob.Floats(0));
        Assert.True(m.HasUnblockedCopy);
    }

    [Theory]
    [InlineData(6, 5, 120, "multiples of 4")]
    [InlineData(8, 5, 156, "needs exactly 160")]
    public void A_format_11_entry_that_breaks_the_rules_is_refused(int rows, int cols, int bytes, string reason)
    {
        byte[] blob = BlobWriter.Write([new BlobEntrySpec("bad", WeightFormat.Float32, [rows, cols], new byte[bytes]) { FormatOverride = 11 }]);
        var error = Assert.Throws<InvalidDataException>(() => WeightBlob.Load(blob));
        Assert.Contains("'bad'", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    // The format's order, written from its definition: value (r, k) at (r / 4)·4·cols + 4·k + r % 4.
    private static byte[] Blocked(float[] rowMajor, int rows, int cols)
    {
        var blocked = new float[rowMajor.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int k = 0; k < cols; k++)
            {
                blocked[(r / 4 * 4 * cols) + (4 * k) + (r % 4)] = rowMajor[(r * cols) + k];
            }
        }

        return MemoryMarshal.AsBytes(blocked.AsSpan()).ToArray();
    }
}
