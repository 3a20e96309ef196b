using System.Globalization;
using System.Text.Json;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Reporting;
using ModelBuild.Compression.Tests.Quantization;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Tests.Reporting;

public sealed class CompressionReportTests
{
    [Fact]
    public void Markdown_and_json_are_culture_invariant_and_carry_every_row()
    {
        var report = Sample();
        var previous = CultureInfo.CurrentCulture;
        string markdownDe, jsonDe;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            (markdownDe, jsonDe) = (report.ToMarkdown(), report.ToJson());
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        Assert.Equal(report.ToMarkdown(), markdownDe);
        Assert.Equal(report.ToJson(), jsonDe);
        Assert.Contains("| `fc.weight` | 128×3136 | 401,408 | int8 | 1,605,632 | 401,920 | 8.01 |", markdownDe, StringComparison.Ordinal);
        Assert.Contains("| `fc.bias` | 128 | 128 | float32 | 512 | 512 | 32.00 | – | – |", markdownDe, StringComparison.Ordinal);
        Assert.Contains("| top-1 | 0.9877 | 0.9870 | -0.07 pp | 0.9980 | 500 |", markdownDe, StringComparison.Ordinal);
        Assert.Contains("`quantize(int8,per-channel,symmetric)`", markdownDe, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(jsonDe);
        var root = doc.RootElement;
        Assert.Equal(1_605_632 + 512, root.GetProperty("totalOriginalBytes").GetInt64());
        Assert.Equal(401_920 + 512, root.GetProperty("totalStoredBytes").GetInt64());
        var rows = root.GetProperty("weights");
        Assert.Equal(2, rows.GetArrayLength());
        Assert.Equal(report.Weights[0].SqnrDb, rows[0].GetProperty("sqnrDb").GetDouble());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("maxAbsError").ValueKind);
        Assert.Equal(500, root.GetProperty("accuracy").GetProperty("samples").GetInt32());
        Assert.Equal(0.998, root.GetProperty("accuracy").GetProperty("agreement").GetDouble());
    }

    [Fact]
    public void Quantized_row_counts_values_scales_and_zero_points()
    {
        var w = LinearQuantizerTests.RandomWeights(40, 2);
        var asym = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("w", [4, 10], w), 0, QuantGranularity.PerChannel, false);
        var row = WeightReportRow.ForQuantized(asym);
        Assert.Equal(("int8a", 160L, 40L + (4 * 5)), (row.Format, row.OriginalBytes, row.StoredBytes));
        var perTensor = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("w", [4, 10], w), 0, QuantGranularity.PerTensor, true);
        Assert.Equal(40L + (4 * 4), WeightReportRow.ForQuantized(perTensor).StoredBytes); // the blob repeats the scale per row
    }

    [Fact]
    public void Markdown_keeps_hostile_names_and_manifests_inside_their_cells_and_fences()
    {
        var report = new CompressionReport("m.onnx", "quantize(int8)", [WeightReportRow.ForFloat("a`b|c\nd", [2])])
        {
            ManifestText = "{ /* ```\n} not the end */ \"passes\": [] }",
        };
        string[] lines = report.ToMarkdown().Split('\n');

        Assert.Contains("| ``a`b\\|c d`` | 2 | 2 | float32 | 8 | 8 | 32.00 |", lines);
        int open = Array.IndexOf(lines, "````json");
        Assert.True(open > 0, "a fence longer than the manifest's own run of three backticks");
        Assert.Equal("````", lines[open + 3]);
    }

    [Fact]
    public void Output_is_deterministic()
    {
        Assert.Equal(Sample().ToJson(), Sample().ToJson());
        Assert.Equal(Sample().ToMarkdown(), Sample().ToMarkdown());
        Assert.Null(JsonDocument.Parse((Sample() with { Accuracy = null }).ToJson()).RootElement.GetProperty("weights")[1].GetProperty("sqnrDb").GetString());
    }

    private static CompressionReport Sample()
    {
        var q = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("fc.weight", [128, 3136], LinearQuantizerTests.RandomWeights(128 * 3136, 4)), 0, QuantGranularity.PerChannel, true);
        return new CompressionReport("mnist_cnn_fc128.onnx", "quantize(int8,per-channel,symmetric)",
            [WeightReportRow.ForQuantized(q), WeightReportRow.ForFloat("fc.bias", [128])],
            new AccuracyReport("top-1", 0.9877, 0.987, 0.998, 500))
        { OriginalFileBytes = 1_688_196, EmbeddedBytes = 433_012 };
    }
}
