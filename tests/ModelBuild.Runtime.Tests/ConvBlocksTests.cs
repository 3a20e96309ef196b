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
