namespace ModelBuild.Compression.Algorithms.ActivationScaling;

/// <summary>
/// SmoothQuant's per-channel migration strength (Xiao et al., 2023, "SmoothQuant: Accurate and Efficient
/// Post-Training Quantization for Large Language Models", arXiv:2211.10438, §4, eq. 4):
/// <c>s_j = max|X_j|^α / max|W_j|^(1−α)</c>. Dividing input channel j by s_j and multiplying the weight's column j by
/// it leaves the product unchanged while moving activation outliers into the weights, where per-channel weight
/// quantisation absorbs them; α = 0.5 balances the two ranges (the paper's default; larger α migrates more).
/// </summary>
/// <remarks>As in the authors' code (<c>smooth.py</c>): max|W_j| is clamped below at 1e-5 and s at 1e-5.</remarks>
public static class SmoothQuantScales
{
    /// <summary>The clamp of max|W_j| and of s (the authors' 1e-5).</summary>
    public const double Floor = 1e-5;

    /// <summary>s per input channel.</summary>
    /// <param name="activationMax">max |x| per input channel on the calibration data.</param>
    /// <param name="weightMax">max |w| per input channel over the weight's rows (and a Conv's kernel taps).</param>
    /// <param name="alpha">Migration strength in [0, 1].</param>
    public static double[] Compute(double[] activationMax, double[] weightMax, double alpha)
    {
        ArgumentNullException.ThrowIfNull(activationMax);
        ArgumentNullException.ThrowIfNull(weightMax);
        return activationMax.Select((a, j) => Math.Max(Floor, Math.Pow(a, alpha) / Math.Pow(Math.Max(weightMax[j], Floor), 1 - alpha))).ToArray();
    }
}
