using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Reporting;

/// <summary>
/// One layer's weights binned before and after compression over a shared range, so that pruning (a spike at 0)
/// and codebooks (a few spikes) show in the report's histogram.
/// </summary>
/// <param name="Layer">The weight's name.</param>
/// <param name="Min">The lower edge of the first bin.</param>
/// <param name="Max">The upper edge of the last bin (values equal to it fall in the last bin).</param>
/// <param name="Before">Counts of the original values per bin.</param>
/// <param name="After">Counts of the compressed (decoded) values per bin; same length as <paramref name="Before"/>.</param>
public sealed record WeightHistogram(string Layer, double Min, double Max, int[] Before, int[] After)
{
    /// <summary>Bins both value lists over the range that covers both; NaN values are not counted.</summary>
    /// <param name="layer">The weight's name.</param>
    /// <param name="original">The original values.</param>
    /// <param name="compressed">The decoded compressed values.</param>
    /// <param name="bins">The number of equal-width bins (at least 1).</param>
    public static WeightHistogram FromValues(string layer, ReadOnlySpan<float> original, ReadOnlySpan<float> compressed, int bins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        Extend(original, ref min, ref max);
        Extend(compressed, ref min, ref max);
        if (min > max)
        {
            (min, max) = (0, 0);
        }

        return new WeightHistogram(layer, min, max, Count(original, min, max, bins), Count(compressed, min, max, bins));
    }

    /// <summary>
    /// The histogram of the largest weight (most elements; the first in name order on ties): its original values
    /// against its stored representation decoded. Weights not in <paramref name="stored"/> were kept as float32.
    /// </summary>
    /// <param name="originals">Original weights by name (matrix view, as the pipeline collects them).</param>
    /// <param name="stored">Stored representations by name (the same matrix view).</param>
    /// <param name="bins">The number of bins.</param>
    /// <returns>Null when there are no weights.</returns>
    public static WeightHistogram? ForLargest(IReadOnlyDictionary<string, float[]> originals, IReadOnlyDictionary<string, StoredMatrix> stored, int bins = 64)
    {
        ArgumentNullException.ThrowIfNull(originals);
        ArgumentNullException.ThrowIfNull(stored);
        // Ordered by name and length only: the pipeline's originals are computed per lookup, and holding them all
        // at once would be a second copy of the model (issue 12).
        var key = originals.Keys.OrderByDescending(k => originals is IWeightLengths lengths ? lengths.Length(k) : originals[k].LongLength)
            .ThenBy(k => k, StringComparer.Ordinal).FirstOrDefault();
        if (key is null)
        {
            return null;
        }

        var before = originals[key];
        var after = stored.TryGetValue(key, out var s) ? s.Decode() : before;
        return FromValues(key, before, after, bins);
    }

    /// <summary>Width of one bin.</summary>
    public double BinWidth => (Max - Min) / Before.Length;

    private static void Extend(ReadOnlySpan<float> values, ref double min, ref double max)
    {
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                (min, max) = (Math.Min(min, v), Math.Max(max, v));
            }
        }
    }

    private static int[] Count(ReadOnlySpan<float> values, double min, double max, int bins)
    {
        var counts = new int[bins];
        var range = max - min;
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                continue;
            }

            // Every value lies in [min, max]; the top edge belongs to the last bin. A zero range puts all in bin 0.
            var index = range > 0 ? (int)Math.Floor((v - min) / range * bins) : 0;
            counts[Math.Clamp(index, 0, bins - 1)]++;
        }

        return counts;
    }
}

/// <summary>How long one pass (or pipeline stage) took.</summary>
/// <param name="Pass">The pass, e.g. <c>quantize(int8,per-channel,symmetric)</c>.</param>
/// <param name="Milliseconds">Wall-clock time in milliseconds.</param>
public sealed record PassTiming(string Pass, double Milliseconds);

/// <summary>One configuration the automatic mode tried: its size and its score.</summary>
/// <param name="Bytes">The embedded size in bytes.</param>
/// <param name="Metric">The score (same metric as <see cref="AccuracyReport.Metric"/>).</param>
/// <param name="Label">A short description, e.g. <c>int4 g64</c>.</param>
/// <param name="Chosen">True for the configuration that was kept.</param>
public sealed record TriedPoint(long Bytes, double Metric, string Label, bool Chosen)
{
    /// <summary>
    /// The points no other point beats on both size and score (no other is as small and at least as good, with one
    /// of the two strictly better), by size ascending.
    /// </summary>
    /// <param name="points">The configurations measured.</param>
    /// <param name="lowerIsBetter">True when <see cref="Metric"/> is a loss (auto's calibration loss), false for a score such as accuracy.</param>
    public static IReadOnlyList<TriedPoint> ParetoFront(IReadOnlyList<TriedPoint> points, bool lowerIsBetter)
    {
        ArgumentNullException.ThrowIfNull(points);
        double Loss(TriedPoint p) => lowerIsBetter ? p.Metric : -p.Metric;
        var finite = points.Where(p => double.IsFinite(p.Metric)).ToList();
        return finite
            .Where(p => !finite.Any(q => q.Bytes <= p.Bytes && Loss(q) <= Loss(p) && (q.Bytes < p.Bytes || Loss(q) < Loss(p))))
            .GroupBy(p => (p.Bytes, p.Metric)).Select(g => g.FirstOrDefault(p => p.Chosen) ?? g.First())
            .OrderBy(p => p.Bytes).ToList();
    }
}
