using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;
using ModelBuild.Compression.Storage.Formats;

namespace ModelBuild.Compression.Tests.Storage.Formats;

/// <summary>What the formats cost, the sparse layout choice, bit packing, and the entropy pass.</summary>
public sealed class FormatSizeTests
{
    [Theory]
    [InlineData(0.95, 1)]
    [InlineData(0.30, 0)]
    public void Sparse_chooses_the_smaller_layout(double sparsity, int expected)
    {
        const int Rows = 64, Cols = 200;
        var mask = Matrices.Mask(Rows * Cols, 1 - sparsity, 1);
        var m = new SparseMatrix(Rows, Cols, mask, FormatRoundTripTests.Inner("int4", Rows, Cols));
        var (layout, _, bytes) = SparseEncoder.SmallestIndex(mask, Rows, Cols);
        Assert.Equal((SparseLayout)expected, layout);

        // The independent sizes from FORMATS.md: bitmask n/8; CSR u8 = counts + one byte per kept value (gaps < 255).
        var kept = mask.Count(k => k);
        var bitmask = (Rows * Cols + 7) / 8;
        var csr = Rows + kept;
        Assert.Equal(Math.Min(bitmask, csr), bytes.Length);
        var blob = FormatRoundTripTests.RoundTrip(m, false, out var writer);
        FormatRoundTripTests.AssertExact(m.Decode(), blob.Matrix(1).Floats);
        Assert.True(writer.PayloadLength(1) < WeightBlobWriter.EncodedSize(FormatRoundTripTests.Inner("int4", Rows, Cols)));
    }

    [Fact]
    public void Int4_per_channel_costs_half_a_byte_per_weight_plus_scales()
    {
        var q = Matrices.Linear(128, 3136, 4, 3136, false, false, 1);
        var size = WeightBlobWriter.EncodedSize(q);
        // Row-blocked codes (3136 = 196 blocks of 16, so no row padding) end with 8 spare bytes.
        Assert.Equal(8 + (128 * 4) + (128 * 3136 / 2) + 8, size);
        Assert.InRange(size / (128.0 * 3136), 0.5, 0.502);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 13)]
    [InlineData(4, 5)]
    [InlineData(5, 99)]
    [InlineData(6, 3)]
    [InlineData(7, 17)]
    [InlineData(8, 9)]
    public void Bit_packing_matches_the_lsb_first_definition(int bits, int count)
    {
        var rng = new Random(bits);
        var codes = Enumerable.Range(0, count).Select(_ => rng.Next(1 << bits)).ToArray();
        var packed = new byte[BitPacking.PackedLength(count, bits)];
        BitPacking.Pack(codes, bits, packed);
        Assert.Equal((count * bits + 7) / 8, packed.Length);
        for (var i = 0; i < count; i++)
        {
            var value = 0;
            for (var b = 0; b < bits; b++)
            {
                var j = (i * bits) + b;
                value |= ((packed[j / 8] >> (j % 8)) & 1) << b;
            }

            Assert.Equal(codes[i], value);
        }

        var used = count * bits % 8;
        Assert.True(used == 0 || packed[^1] >> used == 0);
    }

    [Fact]
    public void Ternary_packs_five_trits_per_byte()
    {
        int[] trits = [2, 1, 0, 2, 2, 1, 1];
        var packed = new byte[BitPacking.TernaryLength(trits.Length)];
        BitPacking.PackTernary(trits, packed);
        Assert.Equal([2 + 3 + 0 + 54 + 162, 1 + 3], packed.Select(b => (int)b));
    }

    [Fact]
    public void Entropy_pass_parses_and_sets_the_flag()
    {
        var spec = Assert.IsType<EntropySpec>(Assert.Single(CompressionManifest.Parse("{\"passes\":[{\"entropy\":{\"codec\":\"brotli\"}}]}", "m.json").Passes));
        Assert.Equal("entropy(brotli)", spec.Describe());
        Assert.IsType<EntropySpec>(Assert.Single(CompressionManifest.Parse("{\"passes\":[{\"entropy\":{}}]}", "m.json").Passes));
        var context = new CompressionContext(null!, "m.onnx", "m.json", null, null);
        spec.CreatePass().Apply(context);
        Assert.True(context.EntropyCoding);

        var bad = Assert.Throws<ModelBuildException>(() => CompressionManifest.Parse("{\"passes\":[{\"entropy\":{\"codec\":\"zstd\"}}]}", "m.json"));
        Assert.Equal("MB2003", bad.Code);
        var unknown = Assert.Throws<ModelBuildException>(() => CompressionManifest.Parse("{\"passes\":[{\"entropy\":{\"level\":3}}]}", "m.json"));
        Assert.Equal("MB2002", unknown.Code);
    }
}
