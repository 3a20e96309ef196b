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
        var writer = new WeightBlobWriter();
        var rows = new List<WeightReportRow>();
        foreach (var entry in weights.Entries)
        {
            var index = entry.Stored is { } stored ? writer.AddStored(entry.Name, stored, entry.Dims) : writer.Add(entry.Name, entry.Floats, entry.Dims);
            var elements = entry.Dims.Aggregate(1L, (a, d) => a * d);
            double? maxError = null, sqnr = null;
            if (entry.Stored is { } s && originals.TryGetValue(entry.Name, out var original) && original.Length == elements)
            {
                (var e, var q) = QuantizationError.Measure(original, s.Decode());
                (maxError, sqnr) = (e, q);
            }

            var format = entry.Stored?.Describe() ?? "float32";
            rows.Add(new WeightReportRow(entry.Name, entry.Dims, format, (originalElementSize?.Invoke(entry.Name) ?? 4) * elements, writer.PayloadLength(index), maxError, sqnr));
        }

        if (fallbackGraph is not null)
        {
            // Last, so the weights keep the indices the plan's OnnxRuntime op names.
            writer.AddBytes(FallbackPlanBuilder.GraphEntryName, fallbackGraph);
        }

        return (writer.ToArray(entropyCoding), rows);
    }

    /// <summary>The length of the blob <see cref="Build"/> would write, without measuring errors (auto mode sizes its candidates with it).</summary>
    public static long Size(WeightTable weights, bool entropyCoding, byte[]? fallbackGraph)
    {
        var writer = new WeightBlobWriter();
        foreach (var entry in weights.Entries)
        {
            _ = entry.Stored is { } stored ? writer.AddStored(entry.Name, stored, entry.Dims) : writer.Add(entry.Name, entry.Floats, entry.Dims);
        }

        if (fallbackGraph is not null)
        {
            writer.AddBytes(FallbackPlanBuilder.GraphEntryName, fallbackGraph);
        }

        return writer.ToArray(entropyCoding).LongLength;
    }
}
