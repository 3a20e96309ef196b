namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>What a linear quantiser may use: bits, ternary, symmetry, and how many inputs share a scale.</summary>
/// <param name="Bits">2..8.</param>
/// <param name="Ternary">Codes −1, 0, +1 only (Bits is then 2).</param>
/// <param name="Symmetric">Zero point 0 and codes in [−qmax, qmax]; else a zero point and the full code range.</param>
/// <param name="GroupSize">Consecutive inputs of a row sharing one scale (the column count for per-channel).</param>
/// <param name="PerTensor">One scale for the whole matrix (GroupSize is then the column count).</param>
public sealed record GridOptions(int Bits, bool Ternary, bool Symmetric, int GroupSize, bool PerTensor);

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
        double lo = 0, hi = 0, absSum = 0;
        var count = 0;
        foreach (var i in indices)
        {
            if (skip is not null && skip[i])
            {
                continue;
            }

            lo = Math.Min(lo, values[i]);
            hi = Math.Max(hi, values[i]);
            absSum += Math.Abs(values[i]);
            count++;
        }

        if (options.Ternary)
        {
            return new UniformGrid(Positive(TernaryScale(values, indices, skip, 0.7 * absSum / Math.Max(1, count), Math.Max(-lo, hi))), 0, -1, 1);
        }

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

    // Ternary weight networks (Li et al. 2016): threshold 0.7·mean|w|, scale = mean |w| above it.
    private static double TernaryScale(ReadOnlySpan<double> values, IEnumerable<int> indices, bool[]? skip, double threshold, double max)
    {
        double sum = 0;
        var count = 0;
        foreach (var i in indices)
        {
            if ((skip is null || !skip[i]) && Math.Abs(values[i]) > threshold)
            {
                sum += Math.Abs(values[i]);
                count++;
            }
        }

        return count == 0 ? max : sum / count;
    }

    // An all-zero group gets scale 1 (every code is then the zero point).
    private static float Positive(double scale) => (float)scale is > 0 and var s && float.IsFinite(s) ? s : 1f;
}
