namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// One-dimensional k-means (Lloyd) for weight sharing, as in Deep Compression (Han, Mao, Dally 2016).
/// </summary>
/// <remarks>
/// In one dimension the clusters of sorted values are contiguous runs, so each round is a binary search per
/// boundary plus prefix sums. There is no randomness: the start is linear (evenly spaced from min to max) or by
/// density (quantiles); a value exactly between two centroids goes to the lower-indexed one. Rounds stop when no
/// assignment changes, or after <see cref="MaxRounds"/>. Empty clusters keep their centroid.
/// </remarks>
public static class KMeansPalette
{
    /// <summary>The most Lloyd rounds.</summary>
    public const int MaxRounds = 50;

    /// <summary>
    /// <paramref name="k"/> centroids (float32, ascending) for <paramref name="values"/>. With
    /// <paramref name="keepZero"/>, centroid 0 is exactly 0 and the other k − 1 are fitted to the non-zero values.
    /// </summary>
    public static float[] Fit(IReadOnlyList<float> values, int k, bool linearInit, bool keepZero)
    {
        var data = values.Where(v => !keepZero || v != 0).Select(v => (double)v).Order().ToArray();
        var free = keepZero ? k - 1 : k;
        var centroids = new double[free];
        if (data.Length > 0 && free > 0)
        {
            Initialise(data, centroids, linearInit);
            Lloyd(data, centroids);
        }

        var result = centroids.Select(c => (float)c).ToList();
        if (keepZero)
        {
            result.Insert(0, 0f);
        }

        return [.. result];
    }

    /// <summary>The index of the nearest centroid (the lowest index among equally near ones).</summary>
    public static int Nearest(float value, float[] centroids)
    {
        var best = 0;
        var bestDistance = double.PositiveInfinity;
        for (var i = 0; i < centroids.Length; i++)
        {
            var distance = Math.Abs((double)value - centroids[i]);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (i, distance);
            }
        }

        return best;
    }

    private static void Initialise(double[] sorted, double[] centroids, bool linear)
    {
        var k = centroids.Length;
        for (var i = 0; i < k; i++)
        {
            if (linear)
            {
                var (lo, hi) = (sorted[0], sorted[^1]);
                centroids[i] = k == 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i / (k - 1));
            }
            else
            {
                centroids[i] = sorted[(int)Math.Min(sorted.Length - 1, Math.Floor((i + 0.5) * sorted.Length / k))];
            }
        }
    }

    private static void Lloyd(double[] sorted, double[] centroids)
    {
        var prefix = new double[sorted.Length + 1];
        for (var i = 0; i < sorted.Length; i++)
        {
            prefix[i + 1] = prefix[i] + sorted[i];
        }

        var k = centroids.Length;
        var ends = new int[k];
        var previous = new int[k];
        Array.Fill(previous, -1);
        for (var round = 0; round < MaxRounds; round++)
        {
            // Centroids stay sorted (ties by index), so cluster j holds the values up to the midpoint with j + 1.
            Array.Sort(centroids);
            for (var j = 0; j < k; j++)
            {
                ends[j] = j == k - 1 ? sorted.Length : UpperBound(sorted, (centroids[j] + centroids[j + 1]) / 2);
            }

            if (ends.AsSpan().SequenceEqual(previous))
            {
                return;
            }

            for (var j = 0; j < k; j++)
            {
                var start = j == 0 ? 0 : Math.Max(ends[j - 1], 0);
                var end = Math.Max(ends[j], start);
                if (end > start)
                {
                    centroids[j] = (prefix[end] - prefix[start]) / (end - start);
                }
            }

            ends.CopyTo(previous, 0);
        }
    }

    // The first index whose value is greater than the boundary (values equal to it join the lower cluster).
    private static int UpperBound(double[] sorted, double boundary)
    {
        var (lo, hi) = (0, sorted.Length);
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= boundary)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
