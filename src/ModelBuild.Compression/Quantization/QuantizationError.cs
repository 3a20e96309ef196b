namespace ModelBuild.Compression.Quantization;

/// <summary>Error statistics of an approximation of a float tensor.</summary>
public static class QuantizationError
{
    /// <summary>
    /// Returns the largest absolute difference and the SQNR in dB, 10·log10(Σw² / Σ(w − ŵ)²), summed in float64.
    /// SQNR is +∞ when the approximation is exact.
    /// </summary>
    public static (double MaxAbsError, double SqnrDb) Measure(ReadOnlySpan<float> original, ReadOnlySpan<float> approximation)
    {
        if (original.Length != approximation.Length)
        {
            throw new ArgumentException($"Lengths differ: {original.Length} vs {approximation.Length}.", nameof(approximation));
        }

        double signal = 0, noise = 0, maxAbs = 0;
        for (var i = 0; i < original.Length; i++)
        {
            var e = (double)original[i] - approximation[i];
            signal += (double)original[i] * original[i];
            noise += e * e;
            maxAbs = Math.Max(maxAbs, Math.Abs(e));
        }

        var sqnr = noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
        return (maxAbs, sqnr);
    }
}
