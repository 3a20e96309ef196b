using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Reporting;
using ModelBuild.Compression.Storage;

namespace ModelBuild.Compression.Pipeline;

/// <summary>Writes the plan's weight entries into the blob and measures each against the original weights.</summary>
internal static class BlobAssembler
{
    public static (byte[] Blob, List<WeightReportRow> Rows) Build(WeightTable weights, IReadOnlyDictionary<string, float[]> originals, bool entropyCoding,
        Func<string, int>? originalElementSize = null, byte[]? fallbackGraph = null)
    {
        var (writer, rows) = Assemble(weights, originals, originalElementSize, fallbackGraph);
        return (writer.ToArray(entropyCoding), rows);
    }

    /// <summary>
    /// <see cref="Build"/>, with the blob written to <paramref name="output"/> entry by entry instead of returned as
    /// one array (the same bytes): on a multi-gigabyte model the pipeline never holds a whole copy of it (issue 12).
    /// </summary>
    /// <returns>The blob's length in bytes and the report rows.</returns>
    public static (long Length, List<WeightReportRow> Rows) Write(Stream output, WeightTable weights, IReadOnlyDictionary<string, float[]> originals,
        bool entropyCoding, Func<string, int>? originalElementSize = null, byte[]? fallbackGraph = null)
    {
        var (writer, rows) = Assemble(weights, originals, originalElementSize, fallbackGraph);
        return (writer.WriteTo(output, entropyCoding), rows);
    }

    private static (WeightBlobWriter Writer, List<WeightReportRow> Rows) Assemble(WeightTable weights, IReadOnlyDictionary<string, float[]> originals,
        Func<string, int>? originalElementSize, byte[]? fallbackGraph)
    {
        var writer = new WeightBlobWriter();
        var rows = new List<WeightReportRow>();
        foreach (var entry in weights.Entries)
        {
            var index = Add(writer, entry);
            var elements = entry.Dims.Aggregate(1L, (a, d) => a * d);
            double? maxError = null, sqnr = null;
            if (entry.Stored is { } s && originals.TryGetValue(entry.Name, out var original) && original.Length == elements)
            {
                (var e, var q) = QuantizationError.Measure(original, s.Decode());
                (maxError, sqnr) = (e, q);
                LargeModelMemory.AfterLayer(elements); // the original and the decode are two float32 copies of the layer
            }

            var format = entry.Stored?.Describe() ?? (entry.ConvBlocks ? "float32 (conv blocks)" : "float32");
            rows.Add(new WeightReportRow(entry.Name, entry.Dims, format, (originalElementSize?.Invoke(entry.Name) ?? 4) * elements, writer.PayloadLength(index), maxError, sqnr));
        }

        if (fallbackGraph is not null)
        {
            // Last, so the weights keep the indices the plan's OnnxRuntime op names.
            writer.AddBytes(FallbackPlanBuilder.GraphEntryName, fallbackGraph);
        }

        return (writer, rows);
    }

    /// <summary>The length of the blob <see cref="Build"/> would write, without measuring errors (auto mode sizes its candidates with it).</summary>
    public static long Size(WeightTable weights, bool entropyCoding, byte[]? fallbackGraph)
    {
        var writer = new WeightBlobWriter();
        foreach (var entry in weights.Entries)
        {
            _ = Add(writer, entry);
        }

        if (fallbackGraph is not null)
        {
            writer.AddBytes(FallbackPlanBuilder.GraphEntryName, fallbackGraph);
        }

        return writer.ToArray(entropyCoding).LongLength;
    }

    private static int Add(WeightBlobWriter writer, WeightEntry entry) =>
        entry.Stored is { } stored ? writer.AddStored(entry.Name, stored, entry.Dims)
        : entry.ConvBlocks ? writer.AddConvBlocks(entry.Name, entry.Floats, entry.Dims)
        : writer.Add(entry.Name, entry.Floats, entry.Dims);
}
