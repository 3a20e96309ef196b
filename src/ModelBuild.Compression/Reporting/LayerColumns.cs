using ModelBuild.Compression.Reporting.Html;

namespace ModelBuild.Compression.Reporting;

/// <summary>One column of the per-weight table: its header, an explanation, and the text of each cell.</summary>
/// <param name="Header">The column header.</param>
/// <param name="Title">What the column measures, for a tooltip or a footnote; null when the header says it.</param>
/// <param name="Numeric">Right-aligned.</param>
/// <param name="Cell">The cell text for a row (unescaped).</param>
/// <param name="Total">The total row's cell text ("" for none).</param>
internal sealed record LayerColumn(string Header, string? Title, bool Numeric, Func<WeightReportRow, string> Cell, string Total);

/// <summary>
/// The per-weight table's columns, shared by the Markdown report (what the build's <c>ReportPath</c> points to) and
/// the HTML report, so both show the same data. Optional columns appear only when some row has data for them.
/// </summary>
internal static class LayerColumns
{
    /// <summary>Header of the zeros column; not "sparsity", since rounding makes zeros in unpruned layers too.</summary>
    public const string ZerosHeader = "zeros";

    public static IReadOnlyList<LayerColumn> For(CompressionReport report)
    {
        var rows = report.Weights;
        var percent = report.Accuracy is { } accuracy && ToleranceView.IsPercent(accuracy.Metric);
        var totalParams = rows.Sum(r => r.Parameters);
        var columns = new List<LayerColumn> { new("weight", null, false, r => r.Name, "total") };
        if (rows.Any(r => !string.IsNullOrEmpty(r.Op)))
        {
            columns.Add(new("op", "the operator that reads the weight", false, r => r.Op ?? "–", ""));
        }

        columns.Add(new("shape", null, false, r => string.Join("×", r.Dims.Select(d => Markup.Format(d, "0"))), ""));
        columns.Add(new("params", null, true, r => Markup.Format(r.Parameters, "N0"), Markup.Format(totalParams, "N0")));
        columns.Add(new("format", null, false, r => r.Format, ""));
        columns.Add(new("bytes before", "as float32 (float16/bfloat16 originals: 2 bytes per value)", true, r => Markup.Format(r.OriginalBytes, "N0"), Markup.Format(report.TotalOriginalBytes, "N0")));
        columns.Add(new("bytes stored", "in the blob's format, scales, zero points and codebooks included" + (report.EntropyCoded ? ", before entropy coding" : ""),
            true, r => Markup.Format(r.StoredBytes, "N0"), Markup.Format(report.TotalStoredBytes, "N0")));
        if (rows.Any(r => r.Sparsity > 0))
        {
            columns.Add(new(ZerosHeader, "stored values that are exactly zero: pruned, or rounded to zero by quantisation", true,
                r => r.Sparsity is { } s ? Markup.Format(s * 100, "0.0") + " %" : "–", ""));
        }

        columns.Add(new("bits/weight", "stored bits per value, scales, zero points and codebooks included", true,
            r => Markup.Format(r.BitsPerWeight, "0.00"), Markup.Format(totalParams == 0 ? 0 : report.TotalStoredBytes * 8.0 / totalParams, "0.00")));
        if (rows.Any(r => r.MaxAbsError is not null || r.SqnrDb is not null))
        {
            const string Against = "against the original weight, every pass together (pruning and quantisation)";
            columns.Add(new("max abs error", Against, true, r => r.MaxAbsError is { } e ? Markup.Format(e, "G4") : "–", ""));
            columns.Add(new("SQNR dB", "signal-to-noise ratio " + Against, true,
                r => r.SqnrDb switch { null => "–", double.PositiveInfinity => "exact", { } q => Markup.Format(q, "F2") }, ""));
        }

        if (rows.Any(r => r.Sensitivity is not null))
        {
            columns.Add(new("sensitivity", "metric drop with only this weight compressed", true,
                r => r.Sensitivity is not { } v ? "–" : percent ? Markup.Format(v * 100, "0.00") + " pp" : Markup.Format(v, "G4"), ""));
        }

        if (rows.Any(r => r.OutputError is not null))
        {
            columns.Add(new("output error", "‖WX − ŴX‖ / ‖WX‖ on the calibration data", true,
                r => r.OutputError is { } oe ? Markup.Format(oe * 100, "0.00") + " %" : "–", ""));
        }

        return columns;
    }
}
