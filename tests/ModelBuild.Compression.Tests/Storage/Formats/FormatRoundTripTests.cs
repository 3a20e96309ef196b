using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;
using ModelBuild.Runtime;

namespace ModelBuild.Compression.Tests.Storage.Formats;

/// <summary>Every representation: the writer's bytes, loaded by the runtime, decode to exactly <c>StoredMatrix.Decode()</c>.</summary>
public sealed class FormatRoundTripTests
{
    internal static WeightBlob RoundTrip(StoredMatrix m, bool brotli, out WeightBlobWriter writer)
    {
        writer = new WeightBlobWriter();
        writer.Add("before", [1f, 2f, 3f], [3]);
        writer.AddStored("w", m, [m.Rows, m.Cols]);
        writer.Add("after", [4f], []);
        var blob = WeightBlob.Load(writer.ToArray(brotli));
        Assert.Equal([1f, 2f, 3f], blob.Floats(0));
        Assert.Equal([4f], blob.Floats(2));
        return blob;
    }

    internal static void AssertExact(float[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"value {i}: expected {expected[i]:R}, got {actual[i]:R}");
            }
        }
    }

    private static void Check(StoredMatrix m, int code, bool brotli = false)
    {
        var blob = RoundTrip(m, brotli, out var writer);
        Assert.Equal(code, blob.StoredFormat(1));
        Assert.Equal(WeightFormat.Float32, blob.Matrix(1).Format);
        Assert.Equal((m.Rows, m.Cols), (blob.Matrix(1).Rows, blob.Matrix(1).Cols));
        AssertExact(m.Decode(), blob.Matrix(1).Floats);
        Assert.Equal(writer.PayloadLength(1), WeightBlobWriter.EncodedSize(m));

        // What Dense reads directly is written row-blocked, so it is read where the blob lies (issue 12), unless padding
        // its rows to whole blocks (docs/FORMATS.md: 8 bytes of 64/b codes, 3 bytes of 8 at 3 bits) would add over 1/8.
        if (blob.DenseMatrix(1).Direct is { } direct)
        {
            long stream = (((long)m.Rows * m.Cols * direct.Bits) + 7) / 8;
            int blockCodes = direct.Bits == 3 ? 8 : 64 / direct.Bits, blockBytes = direct.Bits == 3 ? 3 : 8;
            long padded = (long)m.Rows * ((m.Cols + blockCodes - 1) / blockCodes) * blockBytes;
            Assert.Equal(padded <= stream + (stream / 8), direct.CodesInPlace);
        }

        // Deterministic: encoding again gives the same bytes.
        var again = new WeightBlobWriter();
        again.Add("before", [1f, 2f, 3f], [3]);
        again.AddStored("w", m, [m.Rows, m.Cols]);
        again.Add("after", [4f], []);
        Assert.Equal(writer.ToArray(), again.ToArray());
    }

    public static TheoryData<int, bool, int> LinearCases()
    {
        var data = new TheoryData<int, bool, int>();
        foreach (var bits in Enumerable.Range(1, 8))
        {
            foreach (var asym in new[] { false, true })
            {
                foreach (var group in new[] { 37, 5, 1, 64, 8, 16 })
                {
                    data.Add(bits, asym, group);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void Linear_all_bit_widths_and_partial_groups(int bits, bool asym, int group)
    {
        var q = Matrices.Linear(7, 37, bits, group, asym, ternary: false, seed: bits * 100 + group);
        var code = bits == 8 && group >= 37 ? (asym ? 3 : 2) : 4;
        if (code != 4)
        {
            // 8-bit per channel stays in the kernels' own formats; their matrix is int8, not float32.
            var blob = RoundTrip(q, false, out _);
            Assert.Equal(code, blob.StoredFormat(1));
            AssertExact(q.Decode(), blob.Matrix(1).Dequantize());
            return;
        }

        Check(q, 4);

        // Independent float64 reference: (q − zp)·scale, one rounding to float32.
        var blob4 = RoundTrip(q, true, out _);
        var blockCodes = bits == 3 ? 8 : 64 / Math.Min(bits, 4);
        Assert.Equal(bits <= 4 && (group >= 37 || group % blockCodes == 0), blob4.DenseMatrix(1).Direct is not null);
        var perRow = (37 + group - 1) / group;
        for (var i = 0; i < q.Codes.Length; i++)
        {
            var g = (i / 37 * perRow) + (i % 37 / group);
            Assert.Equal((float)((q.Codes[i] - (q.ZeroPoints?[g] ?? 0)) * (double)q.Scales[g]), blob4.Floats(1)[i]);
        }
    }

    /// <summary>
    /// Rows long enough for whole blocks are row-blocked and read in place (with 8 spare bytes after the codes); a
    /// 3×3 kernel's 9 codes per row keep the LSB-first stream (blocks would multiply its bytes).
    /// </summary>
    [Theory]
    [InlineData(4, 256, true)]
    [InlineData(3, 256, true)]
    [InlineData(2, 250, true)]
    [InlineData(1, 512, true)]
    [InlineData(4, 9, false)]
    [InlineData(2, 9, false)]
    public void Long_rows_are_row_blocked_and_read_in_place(int bits, int cols, bool blocked)
    {
        const int Rows = 16;
        var q = Matrices.Linear(Rows, cols, bits, cols, false, ternary: false, seed: bits + cols);
        var p = Matrices.Palette(Rows, cols, bits, 4, bits);
        long stream = ((Rows * cols * bits) + 7) / 8;
        int blockCodes = bits == 3 ? 8 : 64 / bits, blockBytes = bits == 3 ? 3 : 8;
        long codes = blocked ? (Rows * ((cols + blockCodes - 1) / blockCodes) * blockBytes) + 8 : stream;
        foreach (StoredMatrix m in new StoredMatrix[] { q, p })
        {
            var blob = RoundTrip(m, false, out var writer);
            AssertExact(m.Decode(), blob.Matrix(1).Floats);
            Assert.Equal(blocked, blob.DenseMatrix(1).Direct!.CodesInPlace);
            long header = m is LinearQuantized ? 8 + (4 * Rows) : 8 + (4 * 4 * (1 << bits));
            Assert.Equal(header + codes, writer.PayloadLength(1));
        }
    }

    [Theory]
    [InlineData(false, 11)]
    [InlineData(true, 4)]
    [InlineData(false, 1)]
    public void Ternary(bool asym, int group) => Check(Matrices.Linear(5, 23, 2, group, asym, ternary: true, seed: group), 4, brotli: asym);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 7)]
    [InlineData(4, 3)]
    [InlineData(5, 100)]
    [InlineData(6, 1)]
    [InlineData(7, 4)]
    [InlineData(8, 7)]
    public void Palettized_all_bit_widths(int bits, int rowsPerBook)
    {
        Check(Matrices.Palette(7, 19, bits, rowsPerBook, bits), 5);
        Assert.Equal(bits <= 4, RoundTrip(Matrices.Palette(7, 19, bits, rowsPerBook, bits), false, out _).DenseMatrix(1).Direct is not null);
    }

    [Theory]
    [InlineData(false, 6)]
    [InlineData(true, 7)]
    public void Half_formats(bool bf16, int code) => Check(Matrices.Half(9, 13, bf16, code), code);

    [Fact]
    public void Half_special_values()
    {
        float[] values = [0f, -0f, 65504f, -65504f, 5.9604645E-08f, float.PositiveInfinity, float.NegativeInfinity, 1f / 3];
        var h = new HalfFloat(2, 4, values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray(), false);
        Check(h, 6);
    }

    public static TheoryData<string, double> SparseCases() => new()
    {
        { "float32", 0.05 }, { "float32", 0.7 }, { "fp16", 0.05 }, { "bf16", 0.7 }, { "int4", 0.05 }, { "int4", 0.7 },
        { "int3a", 0.2 }, { "ternary", 0.5 }, { "palette", 0.05 }, { "palette", 0.7 }, { "int4", 0 }, { "int4", 1 },
    };

    internal static StoredMatrix Inner(string kind, int rows, int cols) => kind switch
    {
        "float32" => Matrices.Dense(rows, cols, 1),
        "fp16" => Matrices.Half(rows, cols, false, 2),
        "bf16" => Matrices.Half(rows, cols, true, 3),
        "int4" => Matrices.Linear(rows, cols, 4, 16, false, false, 4),
        "int3a" => Matrices.Linear(rows, cols, 3, 5, true, false, 5),
        "ternary" => Matrices.Linear(rows, cols, 2, 7, true, true, 6),
        _ => Matrices.Palette(rows, cols, 3, 2, 7),
    };

    [Theory]
    [MemberData(nameof(SparseCases))]
    public void Sparse_with_every_inner_format(string inner, double density)
    {
        const int Rows = 11, Cols = 301; // cols > 255: u16 row counts; long gaps at 5 %: escaped deltas
        Check(new SparseMatrix(Rows, Cols, Matrices.Mask(Rows * Cols, density, 9), Inner(inner, Rows, Cols)), 8);
    }

    [Theory]
    [InlineData("float32")]
    [InlineData("fp16")]
    [InlineData("int4")]
    [InlineData("ternary")]
    [InlineData("palette")]
    [InlineData("sparse")]
    [InlineData("int8")]
    public void Outliers_over_every_base(string kind)
    {
        var b = kind switch
        {
            "sparse" => new SparseMatrix(6, 29, Matrices.Mask(6 * 29, 0.1, 1), Inner("int4", 6, 29)),
            "int8" => Matrices.Linear(6, 29, 8, 29, false, false, 8),
            _ => Inner(kind, 6, 29),
        };
        Check(Matrices.Outliers(b, 9, 3), 9, brotli: kind == "sparse");
    }

    [Fact]
    public void Unsupported_nesting_falls_back_to_exact_float32()
    {
        var nested = Matrices.Outliers(Matrices.Outliers(Inner("int4", 3, 5), 2, 1), 2, 2);
        var blob = RoundTrip(nested, false, out _);
        Assert.Equal(1, blob.StoredFormat(1));
        AssertExact(nested.Decode(), blob.Matrix(1).Floats);
    }

    [Fact]
    public void Codes_outside_the_bit_width_are_rejected()
    {
        var q = new LinearQuantized(1, 2, 3, 2, [3, 4], [1f], null);
        var ex = Assert.Throws<ArgumentException>(() => new WeightBlobWriter().AddStored("w", q, [1, 2]));
        Assert.Contains("outside [-4, 3]", ex.Message, StringComparison.Ordinal);
    }
}
