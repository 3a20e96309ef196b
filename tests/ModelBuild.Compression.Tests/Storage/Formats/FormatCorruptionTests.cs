using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;
using ModelBuild.Runtime;

namespace ModelBuild.Compression.Tests.Storage.Formats;

/// <summary>Damaged compact payloads: the runtime either decodes them or throws InvalidDataException naming the entry.</summary>
public sealed class FormatCorruptionTests
{
    public static TheoryData<string> Kinds() => ["int4", "int3a", "ternary", "palette", "fp16", "sparse-csr", "sparse-bitmask", "outliers"];

    private static StoredMatrix Make(string kind) => kind switch
    {
        "sparse-csr" => new SparseMatrix(5, 300, Matrices.Mask(1500, 0.05, 1), FormatRoundTripTests.Inner("int4", 5, 300)),
        "sparse-bitmask" => new SparseMatrix(5, 30, Matrices.Mask(150, 0.6, 1), FormatRoundTripTests.Inner("palette", 5, 30)),
        "outliers" => Matrices.Outliers(FormatRoundTripTests.Inner("ternary", 5, 30), 7, 1),
        _ => FormatRoundTripTests.Inner(kind, 5, 31),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Flipped_bytes_never_escape_as_other_exceptions(string kind)
    {
        var writer = new WeightBlobWriter();
        var m = Make(kind);
        writer.AddStored("damaged", m, [m.Rows, m.Cols]);
        var blob = writer.ToArray();
        var length = writer.PayloadLength(0);
        var start = blob.Length - length; // one entry at payload offset 0
        var rng = new Random(kind.Length);
        var rejected = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var copy = (byte[])blob.Clone();

            // Headers are where lengths live: damage them most often.
            var at = start + (trial % 2 == 0 ? rng.Next(Math.Min(16, length)) : rng.Next(length));
            copy[at] ^= (byte)(1 << rng.Next(8));
            try
            {
                var loaded = WeightBlob.Load(copy);
                Assert.Equal(m.Rows * m.Cols, loaded.Floats(0).Length);
            }
            catch (InvalidDataException e)
            {
                Assert.Contains("'damaged'", e.Message, StringComparison.Ordinal);
                rejected++;
            }
        }

        // fp16 has no header: every bit pattern is a valid value.
        Assert.True(kind == "fp16" ? rejected == 0 : rejected > 0, $"{rejected} damaged payloads rejected");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Truncated_or_extended_payloads_are_rejected(string kind)
    {
        var m = Make(kind);
        var payload = ModelBuild.Compression.Storage.Formats.FormatEncoder.Encode(m)!.Value;
        foreach (var cut in new[] { -1, 1, 4 })
        {
            var bytes = cut > 0 ? payload.Payload[..^cut] : [.. payload.Payload, 0];
            var blob = new RawEntryBlob("damaged", (byte)payload.Format, [m.Rows, m.Cols], bytes).ToArray();
            // Compact entries are checked when first used (issue 12: lazy per-layer decode), not by Load itself.
            var e = Assert.Throws<InvalidDataException>(() => WeightBlob.Load(blob).Matrix(0));
            Assert.Contains("'damaged'", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>A one-entry blob with arbitrary payload bytes (the writer only emits valid ones).</summary>
    private sealed record RawEntryBlob(string Name, byte Format, int[] Dims, byte[] Payload)
    {
        public byte[] ToArray()
        {
            using var stream = new MemoryStream();
            using var w = new BinaryWriter(stream);
            w.Write("MBW1"u8.ToArray());
            w.Write((ushort)1);
            w.Write((ushort)0);
            w.Write(1);
            w.Write((long)Payload.Length);
            w.Write((ushort)Name.Length);
            w.Write(System.Text.Encoding.UTF8.GetBytes(Name));
            w.Write(Format);
            w.Write((byte)Dims.Length);
            foreach (var d in Dims)
            {
                w.Write((uint)d);
            }

            w.Write(0UL);
            w.Write((ulong)Payload.Length);
            w.Write(Payload);
            w.Flush();
            return stream.ToArray();
        }
    }
}
