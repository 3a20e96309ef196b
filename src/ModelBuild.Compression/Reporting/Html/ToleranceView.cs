using ModelBuild.Compression.Manifest;

namespace ModelBuild.Compression.Reporting.Html;

/// <summary>How the report shows scores and the manifest's tolerance, and whether a result meets it.</summary>
internal static class ToleranceView
{
    /// <summary>Metrics that are fractions shown as percentages.</summary>
    public static bool IsPercent(string metric) => metric is "top-1" or "agreement" || metric.StartsWith("top-", StringComparison.Ordinal);

    public static string Score(string metric, double value) =>
        double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf"
        : IsPercent(metric) ? Markup.Percent(value) : Markup.Format(value, "G6");

    public static string Describe(ToleranceSpec t) => t.Key switch
    {
        "maxAccuracyDrop" => Markup.Format(t.Value * 100, "0.###") + " pp",
        "minAgreement" => "agreement ≥ " + Markup.Format(t.Value * 100, "0.###") + " %",
        "minCosine" => "cosine ≥ " + Markup.Format(t.Value, "0.######"),
        "minSqnrDb" => "SQNR ≥ " + Markup.Format(t.Value, "0.##") + " dB",
        _ => "max abs diff ≤ " + Markup.Format(t.Value, "G4"),
    };

    /// <summary>Compressed minus original: "+0.10 pp" for percentage metrics, else the plain difference; "–" when not finite.</summary>
    public static string Change(AccuracyReport a)
    {
        var change = a.Compressed - a.Original;
        return !double.IsFinite(change) ? "–"
            : IsPercent(a.Metric) ? Markup.Format(change * 100, "+0.00;-0.00;0.00") + " pp" : Markup.Format(change, "G4");
    }

    /// <summary>The same rule as the build's accuracy gate.</summary>
    public static bool Passes(ToleranceSpec t, AccuracyReport a) => t.Key switch
    {
        "maxAccuracyDrop" => a.Original - a.Compressed <= t.Value + 1e-12,
        "maxAbsDiff" => a.Compressed <= t.Value,
        _ => a.Compressed >= t.Value,
    };

    /// <summary>The worst score the tolerance accepts (a line on the trade-off plot).</summary>
    public static double Limit(ToleranceSpec t, AccuracyReport a) => t.Key == "maxAccuracyDrop" ? a.Original - t.Value : t.Value;
}
