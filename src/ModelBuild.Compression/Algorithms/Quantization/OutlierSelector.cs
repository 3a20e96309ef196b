namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>Picks the weights kept exactly (fp16) beside a low-bit grid (the LLM.int8 / SpQR idea).</summary>
public static class OutlierSelector
{
    /// <summary>
    /// The <paramref name="fraction"/> of weights with the largest magnitude (ties: lower index first), as a mask.
    /// Removing them from the range lets every other weight in their group use a finer grid.
    /// </summary>
    public static bool[]? Select(ReadOnlySpan<double> values, double fraction, bool[]? fixedZeros)
    {
        var count = (int)Math.Round(fraction * values.Length);
        if (count <= 0)
        {
            return null;
        }

        var order = new int[values.Length];
        var keys = new double[values.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
            keys[i] = fixedZeros is not null && fixedZeros[i] ? 0 : -Math.Abs(values[i]);
        }

        // Array.Sort is not stable, so sort on (key, index) to break ties by position.
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        var mask = new bool[values.Length];
        foreach (var i in order.AsSpan(0, Math.Min(count, order.Length)))
        {
            mask[i] = keys[i] < 0;
        }

        return mask;
    }
}
