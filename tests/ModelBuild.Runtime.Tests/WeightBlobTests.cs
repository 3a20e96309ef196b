using System.Buffers.Binary;
using System.Reflection;

namespace ModelBuild.Runtime.Tests;

public sealed class WeightBlobTests
{
    private static List<BlobEntrySpec> SampleEntries()
    {
        float[] f = [1.5f, -2, 3.25f, 0, 7, -0.5f];
        return
        [
            new("conv1.weight", WeightFormat.Int8, [2, 1, 3], BlobWriter.Int8([0.5f, 0.25f], [1, -2, 3, 127, -127, 0])),
            new("conv1.bias", WeightFormat.Float32, [6], BlobWriter.Float32(f)),
            new("fc.weight", WeightFormat.Int8Asymmetric, [3, 2], BlobWriter.Int8Asymmetric([1f, 2f, 0.5f], [0, -3, 10], [1, 2, -3, 4, 10, 20])),
            new("scalar", WeightFormat.Float32, [], BlobWriter.Float32([42f])),
            new("ünïcode name", WeightFormat.Float32, [1, 1, 1, 1, 1, 1, 1, 2], BlobWriter.Float32([1f, 2f])),
        ];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTrip_DecodesEveryFormat(bool brotli)
    {
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write(SampleEntries(), brotli));

        Assert.Equal(5, blob.Count);
        Assert.Equal("conv1.weight", blob.Name(0));
        Assert.Equal("ünïcode name", blob.Name(4));

        WeightMatrix m = blob.Matrix(0);
        Assert.Equal((2, 3, WeightFormat.Int8), (m.Rows, m.Cols, m.Format));
        Assert.Equal([0.5f, 0.25f], m.Scales.ToArray());
        Assert.Equal([1, -2, 3, 127, -127, 0], m.Int8.ToArray().Select(v => (int)v));
        Assert.True(m.ZeroPoints.IsEmpty && m.Floats.IsEmpty);
        Assert.Equal([0.5f, -1, 1.5f, 31.75f, -31.75f, 0], blob.Floats(0));

        Assert.Equal((6, 1), (blob.Matrix(1).Rows, blob.Matrix(1).Cols));
        Assert.Equal([1.5f, -2, 3.25f, 0, 7, -0.5f], blob.Floats(1));

        WeightMatrix a = blob.Matrix(2);
        Assert.Equal([0, -3, 10], a.ZeroPoints.ToArray());
        Assert.Equal([1, 2, 0, 14, 0, 5], blob.Floats(2));
        Assert.Equal(blob.Floats(2), a.Dequantize());

        Assert.Equal((1, 1), (blob.Matrix(3).Rows, blob.Matrix(3).Cols));
        Assert.Equal((1, 2), (blob.Matrix(4).Rows, blob.Matrix(4).Cols));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BytesEntry_RoundTrips_WithItsDims_AndIsNotAWeight(bool brotli)
    {
        byte[] graph = [8, 7, 0, 255, 1];
        var entries = SampleEntries();
        entries.Add(new("(onnx runtime graph)", (WeightFormat)10, [5], graph));

        WeightBlob blob = WeightBlob.Load(BlobWriter.Write(entries, brotli));

        Assert.Equal(graph, blob.Bytes(5).ToArray());
        Assert.Equal(10, blob.StoredFormat(5));
        Assert.Equal([5], blob.Dims(5));
        Assert.Equal([2, 1, 3], blob.Dims(0)); // the written dims, not the matrix view
        Assert.Equal([], blob.Dims(3));
        Assert.Throws<InvalidOperationException>(() => blob.Floats(5));
        Assert.Throws<InvalidOperationException>(() => blob.Bytes(0));
    }

    [Fact]
    public void BytesEntry_OfRankOtherThanOne_IsRefused()
    {
        var bytes = BlobWriter.Write([new("g", (WeightFormat)10, [2, 2], [1, 2, 3, 4])]);

        var e = Assert.Throws<InvalidDataException>(() => WeightBlob.Load(bytes));
        Assert.Contains("rank 2", e.Message);
    }

    [Fact]
    public void Floats_IsCachedAndShared()
    {
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write(SampleEntries()));
        Assert.Same(blob.Floats(0), blob.Floats(0));
        Assert.Same(blob.Floats(1), blob.Floats(1));
    }

    [Theory]
    [InlineData("conv1.weight")]
    [InlineData("p2o.Conv.0/权重_é")] // non-ASCII: the UTF-8 decoder path
    [InlineData("")]
    public void EntryNames_DecodeFromUtf8(string name)
    {
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new(name, WeightFormat.Float32, [1], BitConverter.GetBytes(1f))]));
        Assert.Equal(name, blob.Name(0));
    }

    [Fact]
    public void InvalidUtf8Name_IsRefused_AndMalformedEntriesNameTheirEntry()
    {
        byte[] bytes = BlobWriter.Write([new("wx", WeightFormat.Float32, [1], BitConverter.GetBytes(1f))]);
        int at = bytes.AsSpan().IndexOf("wx"u8);
        bytes[at + 1] = 0xFF;
        AssertInvalid(bytes, "entry 0", "not valid UTF-8");

        bytes = BlobWriter.Write([new("ok", WeightFormat.Float32, [1], BitConverter.GetBytes(1f)), new("bad", WeightFormat.Float32, [2], BitConverter.GetBytes(1f))]);
        AssertInvalid(bytes, "entry 1 ('bad')", "needs exactly 8");
    }

    [Fact]
    public void EmptyBlob_Loads()
    {
        Assert.Equal(0, WeightBlob.Load(BlobWriter.Write([])).Count);
    }

    private static void AssertInvalid(byte[] bytes, params string[] fragments)
    {
        var ex = Assert.Throws<InvalidDataException>(() => WeightBlob.Load(bytes));
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BadMagic_Throws()
    {
        byte[] bytes = BlobWriter.Write(SampleEntries());
        bytes[3] = (byte)'2';
        AssertInvalid(bytes, "magic");
    }

    [Fact]
    public void BadVersion_Throws()
    {
        byte[] bytes = BlobWriter.Write(SampleEntries());
        bytes[4] = 2;
        AssertInvalid(bytes, "version 2");
    }

    [Fact]
    public void UnknownFlags_Throw()
    {
        byte[] bytes = BlobWriter.Write(SampleEntries());
        bytes[6] = 2;
        AssertInvalid(bytes, "flags");
    }

    [Fact]
    public void CountTooBig_Throws()
    {
        AssertInvalid(BlobWriter.Write(SampleEntries(), countOverride: 65537), "65537");
    }

    [Fact]
    public void CountLargerThanTable_ThrowsTruncated()
    {
        AssertInvalid(BlobWriter.Write(SampleEntries(), countOverride: 6), "entry 5");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(19)]
    [InlineData(30)]
    [InlineData(60)]
    public void TruncatedHeaderOrTable_Throws(int length)
    {
        byte[] bytes = BlobWriter.Write(SampleEntries());
        Assert.Throws<InvalidDataException>(() => WeightBlob.Load(bytes.AsSpan(0, length)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedPayload_Throws(bool brotli)
    {
        byte[] bytes = BlobWriter.Write(SampleEntries(), brotli);
        AssertInvalid(bytes[..^1], "truncated");
    }

    [Fact]
    public void TrailingBytes_Throw()
    {
        byte[] bytes = BlobWriter.Write(SampleEntries());
        AssertInvalid([.. bytes, 0], "payload");
    }

    [Fact]
    public void OffsetOutOfRange_NamesEntry()
    {
        List<BlobEntrySpec> entries = SampleEntries();
        entries[2] = entries[2] with { OffsetOverride = 4096 };
        AssertInvalid(BlobWriter.Write(entries), "entry 2 ('fc.weight')", "outside");
    }

    [Fact]
    public void HugeOffset_DoesNotOverflow()
    {
        List<BlobEntrySpec> entries = SampleEntries();
        entries[1] = entries[1] with { OffsetOverride = ulong.MaxValue - 7, LengthOverride = 24 };
        AssertInvalid(BlobWriter.Write(entries), "conv1.bias", "outside");
    }

    [Fact]
    public void MisalignedOffset_NamesEntry()
    {
        List<BlobEntrySpec> entries = SampleEntries();
        entries[1] = entries[1] with { OffsetOverride = 4, LengthOverride = 24 };
        AssertInvalid(BlobWriter.Write(entries), "conv1.bias", "multiple of 16");
    }

    [Fact]
    public void WrongLengthForFormat_NamesEntry()
    {
        List<BlobEntrySpec> entries = SampleEntries();
        entries[0] = entries[0] with { LengthOverride = 13 };
        AssertInvalid(BlobWriter.Write(entries), "entry 0 ('conv1.weight')", "14");
    }

    [Fact]
    public void DimsDisagreeWithData_NamesEntry()
    {
        List<BlobEntrySpec> entries = SampleEntries();
        entries[1] = entries[1] with { Dims = [7] };
        AssertInvalid(BlobWriter.Write(entries), "conv1.bias", "28");
    }

    [Fact]
    public void Rank9_NamesEntry()
    {
        List<BlobEntrySpec> entries = SampleEntries();
        entries[4] = entries[4] with { Dims = [1, 1, 1, 1, 1, 1, 1, 1, 2] };
        AssertInvalid(BlobWriter.Write(entries), "ünïcode name", "rank 9");
    }

    [Fact]
    public void UnknownFormat_NamesEntry()
    {
        List<BlobEntrySpec> entries = SampleEntries();
        entries[3] = entries[3] with { FormatOverride = 12 }; // 10 is the bytes entry, 11 the conv blocks
        AssertInvalid(BlobWriter.Write(entries), "entry 3 ('scalar')", "format");
    }

    [Fact]
    public void HugeDims_AreRejectedBeforeAllocating()
    {
        List<BlobEntrySpec> entries = SampleEntries();
        entries[1] = entries[1] with { Dims = [65536, 65536] };
        AssertInvalid(BlobWriter.Write(entries), "conv1.bias");
    }

    [Fact]
    public void CorruptBrotli_Throws()
    {
        byte[] bytes = BlobWriter.Write(SampleEntries(), brotli: true);
        for (int i = bytes.Length - 20; i < bytes.Length; i++)
        {
            bytes[i] ^= 0x5a;
        }

        Assert.Throws<InvalidDataException>(() => WeightBlob.Load(bytes));
    }

    [Fact]
    public void BrotliPayloadLengthMismatch_Throws()
    {
        byte[] bytes = BlobWriter.Write(SampleEntries(), brotli: true);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(12));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), length - 16);
        Assert.Throws<InvalidDataException>(() => WeightBlob.Load(bytes));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomCorruption_OnlyEverThrowsInvalidDataException(bool brotli)
    {
        byte[] valid = BlobWriter.Write(SampleEntries(), brotli);
        var rng = new Random(brotli ? 2 : 1);
        int rejected = 0;
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            byte[] bytes = (byte[])valid.Clone();
            for (int flips = rng.Next(1, 4); flips > 0; flips--)
            {
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            }

            if (rng.Next(4) == 0)
            {
                bytes = bytes[..rng.Next(bytes.Length)];
            }

            try
            {
                WeightBlob.Load(bytes);
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
        }

        // Most corruptions hit a checked field; flips inside weight values are legitimately accepted.
        Assert.InRange(rejected, 1000, 3000);
    }

    [Fact]
    public void PayloadLengthBeyondLastEntry_Throws()
    {
        byte[] bytes = BlobWriter.Write(SampleEntries());
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(12));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), length + 16);
        AssertInvalid([.. bytes, .. new byte[16]], "last entry");
    }

    [Fact]
    public void FromResource_Missing_ListsAvailableNames()
    {
        Assembly assembly = typeof(WeightBlobTests).Assembly;
        var ex = Assert.Throws<InvalidOperationException>(() => WeightBlob.FromResource(assembly, "Nope.weights.mbw"));
        Assert.Contains("Nope.weights.mbw", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Test.sample.mbw", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromResource_LoadsEmbeddedBlob()
    {
        WeightBlob blob = WeightBlob.FromResource(typeof(WeightBlobTests).Assembly, "Test.sample.mbw");
        Assert.Equal(2, blob.Count);
        Assert.Equal("w", blob.Name(0));
        Assert.Equal([0.5f, -1f, 3f, 2f], blob.Floats(0));
        Assert.Equal([-4f, 4f], blob.Floats(1));
    }

    [Fact]
    public void FromResource_ReadsWeightsWhereTheResourceLies()
    {
        // Issue 12: no copy of the embedded blob. The int8 codes, the scales and the float32 values are views into the
        // assembly's mapped resource, so their addresses fall inside the resource's bytes.
        Assembly assembly = typeof(WeightBlobTests).Assembly;
        using var stream = (UnmanagedMemoryStream)assembly.GetManifestResourceStream("Test.sample.mbw")!;
        (long start, long end) = Range(stream);
        WeightBlob blob = WeightBlob.FromResource(assembly, "Test.sample.mbw");
        WeightMatrix w = blob.Matrix(0), b = blob.Matrix(1);
        Assert.Equal([1, -2, 3, 2], w.Int8.ToArray().Select(v => (int)v));
        foreach (long address in new[] { Address(w.Int8), Address(w.Scales), Address(b.Floats) })
        {
            Assert.InRange(address, start, end - 1);
        }

        // Loading from a span keeps its own copy (the span need not outlive the call): changing the caller's bytes
        // afterwards changes nothing.
        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        WeightBlob copy = WeightBlob.Load(bytes);
        Array.Clear(bytes);
        Assert.Equal(w.Int8.ToArray(), copy.Matrix(0).Int8.ToArray());
        Assert.Equal([-4f, 4f], copy.Floats(1));
    }

    private static unsafe (long Start, long End) Range(UnmanagedMemoryStream stream) =>
        ((long)stream.PositionPointer, (long)stream.PositionPointer + stream.Length);

    private static unsafe long Address<T>(ReadOnlySpan<T> span) where T : unmanaged
    {
        fixed (T* p = span)
        {
            return (long)p;
        }
    }
}
