using System.Globalization;
using System.Text.RegularExpressions;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>Figures read back from a report's plan-check line ("… max relative difference 3.1e-07 …").</summary>
internal static partial class PlanCheckText
{
    /// <summary>The plan check's max relative difference between the generated code's plan and ONNX Runtime on the compressed .onnx.</summary>
    public static double MaxRelativeDifference(string report) =>
        double.Parse(MaxDifference().Match(report).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"max relative difference ([0-9.Ee+-]+)")]
    private static partial Regex MaxDifference();
}
