namespace ModelBuild.Compression.Auto;

/// <summary>
/// Auto's knapsack steps on measured per-layer losses and byte estimates: <c>loss[l][c]</c> and <c>bytes[l][c]</c>
/// for layer l at candidate c, candidates ordered from the widest.
/// </summary>
internal static class AutoAllocation
{
    /// <summary>Greedy: from the widest setting, take the step that saves the most bytes per unit of added loss.</summary>
    public static int[] Allocate(double[][] loss, long[][] bytes, double budget)
    {
        var choice = new int[loss.Length];
        var total = loss.Sum(l => l[0]);
        while (true)
        {
            var (best, bestRatio) = (-1, 0.0);
            for (var l = 0; l < loss.Length; l++)
            {
                var c = choice[l];
                if (c + 1 >= loss[l].Length || total - loss[l][c] + loss[l][c + 1] > budget)
                {
                    continue;
                }

                var ratio = (bytes[l][c] - bytes[l][c + 1]) / Math.Max(1e-9, loss[l][c + 1] - loss[l][c]);
                if (ratio > bestRatio)
                {
                    (best, bestRatio) = (l, ratio);
                }
            }

            if (best < 0)
            {
                return choice;
            }

            total += loss[best][choice[best] + 1] - loss[best][choice[best]];
            choice[best]++;
        }
    }

    /// <summary>Budget mode: narrow the layers that cost the least loss per byte saved until the estimate fits.</summary>
    public static int[] Shrink(double[][] loss, long[][] bytes, long maxBytes)
    {
        var choice = new int[loss.Length];
        while (Enumerable.Range(0, loss.Length).Sum(l => bytes[l][choice[l]]) > maxBytes)
        {
            var candidates = Enumerable.Range(0, loss.Length).Where(l => choice[l] + 1 < loss[l].Length).ToList();
            if (candidates.Count == 0)
            {
                break;
            }

            // Unmeasured (infinite) losses sort last but still shrink when nothing else is left.
            var best = candidates.OrderBy(l => Cost(loss[l][choice[l] + 1] - loss[l][choice[l]]) / Math.Max(1, bytes[l][choice[l]] - bytes[l][choice[l] + 1])).First();
            choice[best]++;
        }

        return choice;
    }

    private static double Cost(double added) => double.IsFinite(added) ? added : 1e30;
}
