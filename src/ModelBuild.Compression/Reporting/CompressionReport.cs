using System.Globalization;
using System.Text;

namespace ModelBuild.Compression.Reporting;

/// <summary>
/// What a compression did to one model: per-weight sizes and errors, totals and, when measured, accuracy.
/// Written as <c>&lt;ClassName&gt;.report.md</c> (<see cref="ToMarkdown"/>) or JSON (<see cref="ToJson"/>).
/// </summary>
/// <param name="ModelFile">The ONNX file name.</param>
/// <param name="ManifestDescription">The passes, e.g. <c>quantize(int8,per-channel,symmetric)</c>.</param>
/// <param name="Weights">One row per stored weight, in blob order.</param>
/// <param name="Accuracy">Accuracy of the compressed model against the original, when measured.</param>
public sealed partial record CompressionReport(string ModelFile, string ManifestDescription, IReadOnlyList<WeightReportRow> Weights, AccuracyReport? Accuracy = null)
{
    /// <summary>Size of the ONNX file, when known.</summary>
    public long? OriginalFileBytes { get; init; }

    /// <summary>Size of the embedded weights blob, when known.</summary>
    public long? EmbeddedBytes { get; init; }

    /// <summary>Sum of the weights' float32 sizes.</summary>
    public long TotalOriginalBytes => Weights.Sum(w => w.OriginalBytes);

    /// <summary>Sum of the weights' stored sizes.</summary>
    public long TotalStoredBytes => Weights.Sum(w => w.StoredBytes);

    /// <summary>
    /// The headline: the ONNX file's bytes over the embedded blob's bytes when both are known, whatever passes ran
    /// (low-rank factors and structurally pruned tensors are smaller than the weights they replace, so a ratio over
    /// the stored tensors alone understates what they saved); otherwise <see cref="WeightsRatio"/>.
    /// </summary>
    public double CompressionRatio => OriginalFileBytes is { } file && EmbeddedBytes is { } embedded && embedded > 0
        ? (double)file / embedded
        : WeightsRatio;

    /// <summary>TotalOriginalBytes / TotalStoredBytes: float32 size of the tensors as shipped over their stored size (0 when nothing is stored).</summary>
    public double WeightsRatio => TotalStoredBytes == 0 ? 0 : (double)TotalOriginalBytes / TotalStoredBytes;

    /// <summary>A Markdown report; numbers use the invariant culture, so the text is the same everywhere.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        Line(sb, $"# Compression report: {ModelFile}");
        Line(sb, "");
        Line(sb, $"- Passes: `{ManifestDescription}`");
        if (OriginalFileBytes is { } file)
        {
            Line(sb, $"- ONNX file: {Bytes(file)} bytes");
        }

        if (EmbeddedBytes is { } embedded)
        {
            Line(sb, $"- Embedded weights blob: {Bytes(embedded)} bytes");
        }

        if (OriginalFileBytes is { } before && EmbeddedBytes is { } after)
        {
            Line(sb, $"- Compression: {Bytes(before)} → {Bytes(after)} bytes ({Fixed(CompressionRatio, 2)}×, ONNX file over embedded blob)");
        }

        Line(sb, $"- Tensors as shipped: {ShippedLine()}");
        Line(sb, "");
        AppendLayerTable(sb);
        if (Accuracy is { } a)
        {
            Line(sb, "");
            Line(sb, "## Accuracy");
            Line(sb, "");
            Line(sb, "| metric | original | compressed | change | agreement | samples |" + (Tolerance is null ? "" : " tolerance | gate |"));
            Line(sb, "|---|---:|---:|---:|---:|---:|" + (Tolerance is null ? "" : "---|---|"));
            var row = $"| {a.Metric} | {Fixed(a.Original, 4)} | {Fixed(a.Compressed, 4)} | {Html.ToleranceView.Change(a)} | {Fixed(a.Agreement, 4)} | {a.SampleCount.ToString(CultureInfo.InvariantCulture)} |";
            Line(sb, Tolerance is { } t ? $"{row} {Html.ToleranceView.Describe(t)} | {(Html.ToleranceView.Passes(t, a) ? "✓ met" : "✗ missed")} |" : row);
        }

        if (TriedPoints is { Count: > 0 } tried)
        {
            AppendParetoFront(sb, tried);
        }

        if (Notes is { Count: > 0 } notes)
        {
            Line(sb, "");
            Line(sb, "## What the passes did");
            Line(sb, "");
            foreach (var note in notes)
            {
                Line(sb, "- " + note);
            }
        }

        if (ManifestText is { } manifest)
        {
            Line(sb, "");
            Line(sb, "## Manifest as applied");
            Line(sb, "");
            // A fence longer than any run of backticks in the text (a manifest's comments may hold one).
            string fence = new('`', Math.Max(3, LongestBacktickRun(manifest) + 1));
            Line(sb, fence + "json");
            Line(sb, manifest.ReplaceLineEndings("\n").TrimEnd('\n'));
            Line(sb, fence);
        }

        return sb.ToString();
    }

    /// <summary>Auto's measured points that nothing beats on both size and score, smallest first; the shipped one starred.</summary>
    private void AppendParetoFront(StringBuilder sb, IReadOnlyList<TriedPoint> tried)
    {
        var metric = TriedMetric ?? Accuracy?.Metric ?? "metric";
        var lowerIsBetter = TriedMetric is not null; // auto's own points are losses; accuracy scores are higher-is-better
        var front = TriedPoint.ParetoFront(tried, lowerIsBetter);
        var chosen = tried.FirstOrDefault(p => p.Chosen);
        Line(sb, "");
        Line(sb, $"## Auto: Pareto front (embedded bytes vs {metric})");
        Line(sb, "");
        Line(sb, $"{tried.Count.ToString(CultureInfo.InvariantCulture)} configurations measured; {front.Count.ToString(CultureInfo.InvariantCulture)} are on the front (none smaller and better). ★ = shipped"
            + (chosen is not null && !front.Contains(chosen) ? " (listed last: it is not on the front; most points are the search's fast estimates, the shipped one is measured as built, and the search only accepts points within the tolerance's margin)." : "."));
        Line(sb, "");
        Line(sb, $"| embedded bytes | {metric} | configuration | |");
        Line(sb, "|---:|---:|---|---|");
        foreach (var p in chosen is not null && !front.Contains(chosen) ? front.Append(chosen) : front)
        {
            Line(sb, $"| {Bytes(p.Bytes)} | {p.Metric.ToString("G4", CultureInfo.InvariantCulture)} | {p.Label.Replace("|", "\\|", StringComparison.Ordinal)} | {(p.Chosen ? "★ shipped" : "")} |");
        }
    }

    /// <summary>
    /// "1,686,568 bytes as float32 → 212,632 bytes stored (7.93×)", and when the entropy pass ran, the blob those stored
    /// bytes were coded into (the stored bytes count the tensors before entropy coding).
    /// </summary>
    internal string ShippedLine()
    {
        var line = $"{Bytes(TotalOriginalBytes)} bytes as float32 → {Bytes(TotalStoredBytes)} bytes stored ({Fixed(WeightsRatio, 2)}×)";
        return EntropyCoded && EmbeddedBytes is { } blob ? line + $", entropy-coded into the {Bytes(blob)}-byte blob" : line;
    }

    private void AppendLayerTable(StringBuilder sb)
    {
        var columns = LayerColumns.For(this);
        Line(sb, "| " + string.Join(" | ", columns.Select(c => c.Header)) + " |");
        Line(sb, "|" + string.Concat(columns.Select(c => c.Numeric ? "---:|" : "---|")));
        foreach (var w in Weights)
        {
            Line(sb, "| " + string.Join(" | ", columns.Select((c, i) => i == 0 ? CodeSpan(MarkdownCell(c.Cell(w))) : MarkdownCell(c.Cell(w)))) + " |");
        }

        Line(sb, "| " + string.Join(" | ", columns.Select((c, i) => i == 0 ? $"**{c.Total}**" : c.Total)) + " |");
        var explained = columns.Where(c => c.Title is not null).Select(c => $"{c.Header}: {c.Title}");
        Line(sb, "");
        Line(sb, "Columns: " + string.Join("; ", explained) + ".");
    }

    /// <summary>A table cell's text: pipes escaped, line breaks as spaces (a row is one line).</summary>
    private static string MarkdownCell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    /// <summary>Text as inline code whatever backticks it holds: a longer run of backticks around it, padded when it starts or ends with one.</summary>
    private static string CodeSpan(string text)
    {
        string ticks = new('`', LongestBacktickRun(text) + 1);
        string pad = text.StartsWith('`') || text.EndsWith('`') ? " " : "";
        return ticks + pad + text + pad + ticks;
    }

    private static int LongestBacktickRun(string text)
    {
        int longest = 0, run = 0;
        foreach (char c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }

    /// <summary>The report as indented JSON (LF line ends); non-finite numbers (exact weights) are written as null.</summary>
    public string ToJson() => CompressionReportJson.Write(this);

    private static void Line(StringBuilder sb, string text) => sb.Append(text).Append('\n');

    private static string Bytes(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Fixed(double value, int digits) => value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Maybe(double? value, string format) => value switch
    {
        null => "–",
        double.PositiveInfinity => "exact",
        { } v => v.ToString(format, CultureInfo.InvariantCulture),
    };
}

/// <summary>One weight in the report.</summary>
/// <param name="Name">The weight name.</param>
/// <param name="Dims">Its shape.</param>
/// <param name="Format">The stored format: <c>float32</c>, <c>int8</c> or <c>int8a</c>.</param>
/// <param name="OriginalBytes">Its size in the original file (float16/bfloat16 weights count 2 bytes per element).</param>
/// <param name="StoredBytes">Its size in the blob (scales and zero points included, alignment excluded).</param>
/// <param name="MaxAbsError">Largest absolute error; null when stored exactly.</param>
/// <param name="SqnrDb">Signal-to-quantisation-noise ratio in dB; null when stored exactly.</param>
public sealed partial record WeightReportRow(string Name, int[] Dims, string Format, long OriginalBytes, long StoredBytes, double? MaxAbsError, double? SqnrDb)
{
    /// <summary>A row for a weight stored as float32.</summary>
    public static WeightReportRow ForFloat(string name, int[] dims)
    {
        var bytes = 4 * dims.Aggregate(1L, (a, d) => a * d);
        return new WeightReportRow(name, dims, "float32", bytes, bytes, null, null);
    }

    /// <summary>A row for a quantised weight; the stored size counts one scale (and zero point) per blob row.</summary>
    public static WeightReportRow ForQuantized(Quantization.QuantizedTensor q)
    {
        ArgumentNullException.ThrowIfNull(q);
        long rows = q.Scales.Length > 1 ? q.Scales.Length : q.Dims.Length > 0 ? q.Dims[q.Axis] : 1;
        var stored = q.Values.Length + (rows * (q.IsSymmetric ? 4 : 5));
        return new WeightReportRow(q.Name, q.Dims, q.IsSymmetric ? "int8" : "int8a", 4L * q.Values.Length, stored, q.MaxAbsError, q.SqnrDb);
    }
}

/// <summary>Accuracy of the compressed model against the original on a dataset.</summary>
/// <param name="Metric">The metric, e.g. <c>top-1</c>.</param>
/// <param name="Original">The original model's score.</param>
/// <param name="Compressed">The compressed model's score.</param>
/// <param name="Agreement">Fraction of samples where both models give the same answer (argmax).</param>
/// <param name="SampleCount">Number of samples evaluated.</param>
public sealed record AccuracyReport(string Metric, double Original, double Compressed, double Agreement, int SampleCount);
