using System.Globalization;
using ModelBuild.Graph;

namespace ModelBuild.Conformance.Tests;

/// <summary>The suite's one comparison rule: |actual − expected| ≤ 1e-4·max(1, |expected|), NaN only where expected.</summary>
internal static class Tolerance
{
    public const double Relative = 1e-4;

    /// <summary>Null when <paramref name="actual"/> matches; otherwise the symptom (shape, or the worst element).</summary>
    public static string? Compare(Tensor expected, IReadOnlyList<long> actualDims, IReadOnlyList<double> actual)
    {
        if (!expected.Dims.SequenceEqual(actualDims))
        {
            return $"shape {Dims(actualDims)} instead of {Dims(expected.Dims)}";
        }

        var want = expected.ToDoubles();
        if (want.Length != actual.Count)
        {
            return $"{actual.Count} values instead of {want.Length}";
        }

        var bad = 0;
        var worst = -1;
        var worstExcess = 0.0;
        for (var i = 0; i < want.Length; i++)
        {
            var e = want[i];
            var a = actual[i];
            // NaN and ±∞ must match exactly (an infinite expected value would otherwise make the bound infinite).
            var ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) || double.IsInfinity(a) ? e == a
                : Math.Abs(a - e) <= Relative * Math.Max(1, Math.Abs(e));
            if (ok)
            {
                continue;
            }

            bad++;
            var excess = double.IsNaN(a) || double.IsNaN(e) || double.IsInfinity(a) ? double.PositiveInfinity : Math.Abs(a - e) / Math.Max(1, Math.Abs(e));
            if (worst < 0 || excess > worstExcess)
            {
                worst = i;
                worstExcess = excess;
            }
        }

        return bad == 0 ? null
            : string.Create(CultureInfo.InvariantCulture, $"{bad} of {want.Length} values off; worst at {worst}: {actual[worst]:G7} instead of {want[worst]:G7}");
    }

    public static string Dims(IEnumerable<long> dims) => "[" + string.Join(",", dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
