namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>What a linear quantiser may use: bits, ternary, symmetry, and how many inputs share a scale.</summary>
/// <param name="Bits">2..8.</param>
/// <param name="Ternary">Codes −1, 0, +1 only (Bits is then 2).</param>
/// <param name="Symmetric">Zero point 0 and codes in [−qmax, qmax]; else a zero point and the full code range.</param>
/// <param name="GroupSize">Consecutive inputs of a row sharing one scale (the column count for per-channel).</param>
/// <param name="PerTensor">One scale for the whole matrix (GroupSize is then the column count).</param>
public sealed record GridOptions(int Bits, bool Ternary, bool Symmetric, int GroupSize, bool PerTensor)
{
    /// <summary>
    /// Ternary scale = max |w| (no clipping) instead of the least-squares scale. GPTQ sets it: its error feedback
    /// moves later weights, and a clipped weight's error would be passed on and grow (GPTQ uses min-max grids at
    /// every width for this reason). Ternary GPTQ then has int2 GPTQ's codes.
    /// </summary>
    public bool TernaryMinMax { get; init; }
}

/// <summary>One scale's grid: value = (code − ZeroPoint) · Scale with code in [QMin, QMax].</summary>
/// <remarks>
/// The scale is rounded to float32 first and codes are computed against it, so <see cref="Value"/> is bit for bit
/// what <see cref="Representation.LinearQuantized.Decode"/> gives. Rounding is half to even.
/// </remarks>
public readonly record struct UniformGrid(float Scale, int ZeroPoint, int QMin, int QMax)
{
    /// <summary>The code nearest to <paramref name="w"/> (clamped to the range).</summary>
    public int Code(double w) => (int)Math.Clamp(Math.Round(w / Scale) + ZeroPoint, QMin, QMax);

    /// <summary>The value a code stands for, computed as the decoder does (float32).</summary>
    public float Value(int code) => (code - ZeroPoint) * Scale;

    /// <summary>The grid for a set of values (those with <paramref name="skip"/> true are left out of the range).</summary>
    /// <param name="values">The matrix, row-major.</param>
    /// <param name="indices">The positions that share this grid.</param>
    /// <param name="skip">Outliers and pruned zeros: they must not widen the range.</param>
    /// <param name="options">Bits and symmetry.</param>
    public static UniformGrid Find(ReadOnlySpan<double> values, IEnumerable<int> indices, bool[]? skip, GridOptions options)
    {
        double lo = 0, hi = 0;
        foreach (var i in indices)
        {
            if (skip is not null && skip[i])
            {
                continue;
            }

            lo = Math.Min(lo, values[i]);
            hi = Math.Max(hi, values[i]);
        }

        if (options.Ternary)
        {
            var max = Math.Max(-lo, hi);
            return new UniformGrid(Positive(options.TernaryMinMax ? max : TernaryScale(values, indices, skip, max)), 0, -1, 1);
        }

        return FromRange(lo, hi, options);
    }

    /// <summary>
    /// <see cref="Find(ReadOnlySpan{double}, IEnumerable{int}, bool[], GridOptions)"/> for a contiguous group with
    /// nothing skipped and a non-ternary grid: the same range, scanned in the same order, and the same grid.
    /// </summary>
    public static UniformGrid FindContiguous(ReadOnlySpan<double> group, GridOptions options)
    {
        if (options.Ternary)
        {
            return Find(group, Enumerable.Range(0, group.Length), null, options);
        }

        double lo = 0, hi = 0;
        foreach (var v in group)
        {
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }

        return FromRange(lo, hi, options);
    }

    private static UniformGrid FromRange(double lo, double hi, GridOptions options)
    {
        var qmax = (1 << (options.Bits - 1)) - 1;
        if (options.Symmetric)
        {
            return new UniformGrid(Positive(Math.Max(-lo, hi) / qmax), 0, -qmax, qmax);
        }

        var qmin = -(1 << (options.Bits - 1));
        var scale = Positive((hi - lo) / ((1 << options.Bits) - 1));
        var zp = (int)Math.Clamp(Math.Round(qmin - (lo / scale)), qmin, qmax);
        return new UniformGrid(scale, zp, qmin, qmax);
    }

    // The least-squares ternary scale: keeping the k largest |w| at ±s costs Σw² − 2s·S_k + k·s² (S_k their sum), least
    // at s = S_k / k, where it is Σw² − S_k²/k; so take the k with the largest S_k²/k (exact, after a sort). Rounding
    // to the grid then keeps |w| > s/2, which can only lower the error further. Ternary weight networks (Li et al.
    // 2016) approximate this k by a threshold of 0.7·mean|w|; the exact optimum loses less (UniformGridTests).
    private static double TernaryScale(ReadOnlySpan<double> values, IEnumerable<int> indices, bool[]? skip, double max)
    {
        var magnitudes = new List<double>();
        foreach (var i in indices)
        {
            if (skip is null || !skip[i])
            {
                magnitudes.Add(Math.Abs(values[i]));
            }
        }

        magnitudes.Sort((a, b) => b.CompareTo(a));
        double sum = 0, best = 0, scale = max;
        for (var k = 1; k <= magnitudes.Count; k++)
        {
            sum += magnitudes[k - 1];
            if (sum * sum / k > best)
            {
                (best, scale) = (sum * sum / k, sum / k);
            }
        }

        return scale;
    }

    // An all-zero group gets scale 1 (every code is then the zero point).
    private static float Positive(double scale) => (float)scale is > 0 and var s && float.IsFinite(s) ? s : 1f;
}
