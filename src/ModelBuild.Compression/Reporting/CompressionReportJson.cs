using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ModelBuild.Compression.Reporting;

/// <summary>Writes <see cref="CompressionReport"/> as JSON with a fixed key order and invariant number forms.</summary>
internal static class CompressionReportJson
{
    public static string Write(CompressionReport report)
    {
        using var stream = new MemoryStream();
        var options = new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var w = new Utf8JsonWriter(stream, options))
        {
            w.WriteStartObject();
            w.WriteString("modelFile", report.ModelFile);
            w.WriteString("passes", report.ManifestDescription);
            WriteOptional(w, "originalFileBytes", report.OriginalFileBytes);
            WriteOptional(w, "embeddedBytes", report.EmbeddedBytes);
            w.WriteNumber("totalOriginalBytes", report.TotalOriginalBytes);
            w.WriteNumber("totalStoredBytes", report.TotalStoredBytes);
            WriteDouble(w, "compressionRatio", report.CompressionRatio);
            w.WriteStartArray("weights");
            foreach (var row in report.Weights)
            {
                w.WriteStartObject();
                w.WriteString("name", row.Name);
                w.WriteStartArray("dims");
                foreach (var d in row.Dims)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteString("format", row.Format);
                w.WriteNumber("originalBytes", row.OriginalBytes);
                w.WriteNumber("storedBytes", row.StoredBytes);
                WriteDouble(w, "maxAbsError", row.MaxAbsError);
                WriteDouble(w, "sqnrDb", row.SqnrDb);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (report.Accuracy is { } a)
            {
                w.WriteStartObject("accuracy");
                w.WriteString("metric", a.Metric);
                WriteDouble(w, "original", a.Original);
                WriteDouble(w, "compressed", a.Compressed);
                WriteDouble(w, "agreement", a.Agreement);
                w.WriteNumber("samples", a.SampleCount);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteOptional(Utf8JsonWriter w, string key, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(key, v);
        }
    }

    /// <summary>JSON has no infinities or NaN: such values (an exact weight's SQNR) are written as null.</summary>
    private static void WriteDouble(Utf8JsonWriter w, string key, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(key, v);
        }
        else
        {
            w.WriteNull(key);
        }
    }
}
