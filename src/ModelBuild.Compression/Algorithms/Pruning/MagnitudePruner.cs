namespace ModelBuild.Compression.Algorithms.Pruning;

/// <summary>Magnitude masks: the k smallest |w| (over one or several matrices), a threshold, or N:M groups.</summary>
public static class MagnitudePruner
{
    /// <summary>
    /// Zeros exactly <paramref name="count"/> entries of smallest magnitude across all <paramref name="matrices"/>
    /// together (entries already zero rank first). Ties are broken by position, so the result is deterministic.
    /// </summary>
    /// <param name="matrices">The matrices, changed in place.</param>
    /// <param name="count">How many entries to zero.</param>
    /// <param name="keys">Per matrix, the ranking of each entry instead of |w| (same lengths), or null.</param>
    public static void ZeroSmallest(IReadOnlyList<float[]> matrices, long count, IReadOnlyList<float[]>? keys = null)
    {
        ArgumentNullException.ThrowIfNull(matrices);
        var total = matrices.Sum(m => (long)m.Length);
        count = Math.Clamp(count, 0, total);
        if (count == 0)
        {
            return;
        }

        // Sort (|w|, position) pairs packed in one double-free key: position order breaks ties.
        var rank = new float[total];
        var positions = new long[total];
        long p = 0;
        for (var k = 0; k < matrices.Count; k++)
        {
            for (var i = 0; i < matrices[k].Length; i++)
            {
                rank[p] = matrices[k][i] == 0 ? 0 : keys is null ? Math.Abs(matrices[k][i]) : keys[k][i];
                positions[p] = p;
                p++;
            }
        }

        Array.Sort(positions, (a, b) => rank[a] != rank[b] ? rank[a].CompareTo(rank[b]) : a.CompareTo(b));
        var offsets = new long[matrices.Count + 1];
        for (var i = 0; i < matrices.Count; i++)
        {
            offsets[i + 1] = offsets[i] + matrices[i].Length;
        }

        for (long i = 0; i < count; i++)
        {
            var at = positions[i];
            var which = Array.BinarySearch(offsets, at);
            which = which >= 0 ? which : ~which - 1;
            while (offsets[which + 1] <= at)
            {
                which++;
            }

            matrices[which][at - offsets[which]] = 0;
        }
    }

    /// <summary>Zeros every entry with |w| &lt; <paramref name="threshold"/>; returns how many are zero afterwards.</summary>
    public static int ZeroBelow(float[] matrix, double threshold)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var zeros = 0;
        for (var i = 0; i < matrix.Length; i++)
        {
            if (Math.Abs(matrix[i]) < threshold)
            {
                matrix[i] = 0;
            }

            zeros += matrix[i] == 0 ? 1 : 0;
        }

        return zeros;
    }

    /// <summary>
    /// Keeps the <paramref name="n"/> largest |w| of every <paramref name="m"/> consecutive columns of each row (a
    /// shorter last group keeps min(n, its length)). <paramref name="score"/> overrides |w| as the ranking when given.
    /// </summary>
    public static void KeepNOfM(float[] matrix, int rows, int cols, int n, int m, Func<int, int, double>? score = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var order = new int[m];
        var values = new double[m];
        for (var r = 0; r < rows; r++)
        {
            for (var start = 0; start < cols; start += m)
            {
                var length = Math.Min(m, cols - start);
                for (var j = 0; j < length; j++)
                {
                    order[j] = j;
                    values[j] = score?.Invoke(r, start + j) ?? Math.Abs(matrix[(r * cols) + start + j]);
                }

                // Largest first; equal scores keep the earlier column.
                Array.Sort(order, 0, length, Comparer<int>.Create((a, b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b)));
                for (var j = n; j < length; j++)
                {
                    matrix[(r * cols) + start + order[j]] = 0;
                }
            }
        }
    }

    /// <summary>The fraction of exact zeros.</summary>
    public static double Sparsity(ReadOnlySpan<float> matrix)
    {
        var zeros = 0;
        foreach (var v in matrix)
        {
            zeros += v == 0 ? 1 : 0;
        }

        return zeros / (double)Math.Max(1, matrix.Length);
    }
}
