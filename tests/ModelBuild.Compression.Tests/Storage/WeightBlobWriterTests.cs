using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Storage;
using ModelBuild.Compression.Tests.Quantization;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Tests.Storage;

public sealed class WeightBlobWriterTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Entries_round_trip_through_an_independent_reader(bool brotli)
    {
        var writer = Sample(out var floats, out var sym, out var asym);
        var (flags, payloadLength, entries) = BlobReader.Read(writer.ToArray(brotli));

        Assert.Equal(brotli ? 1 : 0, flags);
        Assert.Equal(["bias", "conv.weight", "fc.weight", "scalar", "Gewicht-ä"], entries.Select(e => e.Name));
        Assert.Equal([1, 2, 3, 1, 1], entries.Select(e => (int)e.Format));
        Assert.All(entries, e => Assert.Equal(0UL, e.Offset % 16));
        Assert.Equal(entries[^1].Offset + entries[^1].Length, payloadLength);

        Assert.Equal(floats, entries[0].Floats);
        Assert.Equal([8, 1, 3, 3], entries[1].Dims);
        Assert.Equal(sym.Scales, entries[1].Scales);
        Assert.Equal(sym.Values, entries[1].Int8);
        Assert.Empty(entries[1].ZeroPoints);

        var m = asym.ToRowMajorMatrix(transpose: true);
        Assert.Equal([5, 6], entries[2].Dims);
        Assert.Equal(m.RowScales, entries[2].Scales);
        Assert.Equal(m.ZeroPoints, entries[2].ZeroPoints);
        Assert.Equal(m.Values, entries[2].Int8);

        // Dequantising the stored rows gives the quantiser's own values, transposed back.
        var stored = entries[2];
        var dequantized = asym.Dequantize();
        for (var r = 0; r < 5; r++)
        {
            for (var c = 0; c < 6; c++)
            {
                Assert.Equal(dequantized[(c * 5) + r], (stored.Int8[(r * 6) + c] - stored.ZeroPoints[r]) * stored.Scales[r]);
            }
        }

        Assert.Equal([], entries[3].Dims);
        Assert.Equal([42f], entries[3].Floats);
    }

    [Fact]
    public void Same_input_gives_the_same_bytes_and_brotli_is_smaller_for_redundant_data()
    {
        var a = Sample(out _, out _, out _);
        var b = Sample(out _, out _, out _);
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.Equal(a.ToArray(brotli: true), b.ToArray(brotli: true));

        var zeros = new WeightBlobWriter();
        zeros.Add("z", new float[4096], [64, 64]);
        Assert.True(zeros.ToArray(brotli: true).Length < zeros.ToArray().Length / 20);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WriteTo_streams_the_same_bytes_ToArray_returns(bool brotli)
    {
        // The pipeline streams a large model's blob to disk; the shipped bytes must not depend on which path wrote them.
        var writer = Sample(out _, out _, out _);
        writer.Add("odd", new float[3], [3]); // 12 bytes: the next entry's offset needs padding
        writer.AddBytes("graph", [1, 2, 3, 4, 5]);
        using var stream = new MemoryStream();
        var length = writer.WriteTo(stream, brotli);

        Assert.Equal(writer.ToArray(brotli), stream.ToArray());
        Assert.Equal(stream.Length, length);
    }

    [Fact]
    public void Header_layout_is_exact_for_an_empty_blob()
    {
        var bytes = new WeightBlobWriter().ToArray();
        Assert.Equal("MBW1"u8.ToArray().Concat(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 }).Concat(new byte[8]), bytes);
    }

    [Fact]
    public void Returns_entry_indices_and_rejects_inconsistent_matrices()
    {
        var writer = new WeightBlobWriter();
        Assert.Equal(0, writer.Add("a", [1f, 2f], [2]));
        Assert.Equal(1, writer.AddInt8("b", 2, 2, [1, 2, 3, 4], [1f, 1f], null, [2, 2]));
        Assert.Throws<ArgumentException>(() => writer.Add("c", [1f, 2f], [3]));
        Assert.Throws<ArgumentException>(() => writer.AddInt8("d", 2, 2, [1, 2, 3, 4], [1f, 1f], null, [4]));
        Assert.Throws<ArgumentException>(() => writer.AddInt8("e", 2, 2, [1, 2, 3, 4], [1f], null, [2, 2]));
        Assert.Throws<ArgumentException>(() => writer.AddInt8("f", 2, 2, [1, 2, 3, 4], [1f, 1f], [0], [2, 2]));
        Assert.Equal(2, writer.Count);
    }

    private static WeightBlobWriter Sample(out float[] floats, out QuantizedTensor sym, out QuantizedTensor asym)
    {
        floats = LinearQuantizerTests.RandomWeights(8, seed: 21);
        sym = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("conv.weight", [8, 1, 3, 3], LinearQuantizerTests.RandomWeights(72, 22)), 0, QuantGranularity.PerChannel, true);
        asym = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("fc.weight", [6, 5], LinearQuantizerTests.RandomWeights(30, 23)), 1, QuantGranularity.PerChannel, false);
        var writer = new WeightBlobWriter();
        writer.Add("bias", floats, [8]);
        var s = sym.ToRowMajorMatrix(false);
        writer.AddInt8(sym.Name, s.Rows, s.Cols, s.Values, s.RowScales, s.ZeroPoints, sym.Dims);
        var a = asym.ToRowMajorMatrix(true);
        writer.AddInt8(asym.Name, a.Rows, a.Cols, a.Values, a.RowScales, a.ZeroPoints, [5, 6]);
        writer.Add("scalar", [42f], []);
        writer.Add("Gewicht-ä", [1f], [1]);
        return writer;
    }
}
