using MathNet.Numerics.LinearAlgebra;

namespace ModelBuild.Compression.Algorithms.Reconstruction;

/// <summary>The refit of one layer: per output channel a factor on its scales and a new bias, and the errors around it.</summary>
/// <param name="Factors">α per channel (multiplies every scale of the channel's row; 1 when scales were not refitted).</param>
/// <param name="Biases">The new bias per channel.</param>
/// <param name="ErrorBefore">Mean squared difference from the targets before the refit.</param>
/// <param name="ErrorAfter">The same after it.</param>
public sealed record ChannelFit(double[] Factors, double[] Biases, double ErrorBefore, double ErrorAfter);

/// <summary>
/// Least-squares refit of a quantised layer's per-channel scales and biases to recorded targets, the closed-form core
/// of BRECQ-style reconstruction (Li, Gong, Tan, Yang, Hu, Zhang, Yu, Wang, Gu 2021, "BRECQ: Pushing the Limit of
/// Post-Training Quantization by Block Reconstruction", ICLR, arXiv:2102.05426).
/// </summary>
/// <remarks>
/// With the codes fixed, a channel's output is y = s·z + b, where z is the code part of the output and s its
/// scale. Multiplying every scale of the channel by α and replacing the bias by β gives α·(y − b) + β, linear in
/// (α, β): the best pair is a 2 × 2 least-squares problem per channel over all positions and samples. A ridge term
/// ρ·Σz²·(α − 1)² keeps α near 1 when a channel barely varies. Channels whose output is constant keep α = 1.
/// </remarks>
public static class ChannelRefit
{
    /// <summary>ρ: the pull of α towards 1, relative to the channel's energy.</summary>
    public const double Ridge = 1e-4;

    /// <summary>
    /// Fits α and β per channel so that α·(current − bias) + β matches <paramref name="targets"/>.
    /// <paramref name="current"/> and <paramref name="targets"/> have the same layout, channel c of element i being
    /// i / <paramref name="inner"/> % channels (inner = 1 for [.., C], H·W for [N, C, H, W]).
    /// </summary>
    /// <param name="current">The layer's output now (the compressed model's, on the calibration data).</param>
    /// <param name="targets">The original model's output of the same layer on the same data.</param>
    /// <param name="bias">The layer's bias now (zeros when it has none).</param>
    /// <param name="inner">Elements per channel per sample.</param>
    /// <param name="fitScale">False: α stays 1 (the stored form cannot rescale a row).</param>
    /// <param name="fitBias">False: β stays the bias (the layer cannot take one).</param>
    public static ChannelFit Fit(ReadOnlySpan<float> current, ReadOnlySpan<float> targets, double[] bias, int inner, bool fitScale, bool fitBias)
    {
        ArgumentNullException.ThrowIfNull(bias);
        if (current.Length != targets.Length)
        {
            throw new ArgumentException($"{current.Length} outputs but {targets.Length} targets.", nameof(targets));
        }

        var channels = bias.Length;
        var (zz, z1, zt, t1) = (new double[channels], new double[channels], new double[channels], new double[channels]);
        for (var i = 0; i < current.Length; i++)
        {
            var c = i / inner % channels;
            var z = current[i] - bias[c];
            zz[c] += z * z;
            z1[c] += z;
            zt[c] += z * targets[i];
            t1[c] += targets[i];
        }

        var count = current.Length / (double)channels;
        var factors = new double[channels];
        var biases = new double[channels];
        for (var c = 0; c < channels; c++)
        {
            (factors[c], biases[c]) = Solve(zz[c], z1[c], zt[c], t1[c], count, bias[c], fitScale, fitBias);
        }

        double before = 0, after = 0;
        for (var i = 0; i < current.Length; i++)
        {
            var c = i / inner % channels;
            var refit = (factors[c] * (current[i] - bias[c])) + biases[c];
            before += Square(targets[i] - current[i]);
            after += Square(targets[i] - refit);
        }

        return new ChannelFit(factors, biases, before / Math.Max(1, current.Length), after / Math.Max(1, current.Length));
    }

    private static (double Alpha, double Beta) Solve(double zz, double z1, double zt, double t1, double n, double bias, bool fitScale, bool fitBias)
    {
        var energy = zz - (z1 * z1 / n); // Σ(z − z̄)²: zero when the channel's output is constant
        if (!fitScale || energy <= 1e-12 * Math.Max(zz, 1e-30))
        {
            return (1, fitBias ? (t1 - z1) / n : bias);
        }

        if (!fitBias)
        {
            return ((zt - (bias * z1) + (Ridge * zz)) / (zz * (1 + Ridge)), bias);
        }

        // Normal equations of min Σ(t − αz − β)² + ρ·Σz²·(α − 1)².
        var normal = Matrix<double>.Build.DenseOfArray(new[,] { { zz * (1 + Ridge), z1 }, { z1, n } });
        var rhs = Vector<double>.Build.Dense([zt + (Ridge * zz), t1]);
        var solution = normal.Solve(rhs);
        return double.IsFinite(solution[0]) && double.IsFinite(solution[1]) ? (solution[0], solution[1]) : (1, bias);
    }

    private static double Square(double x) => x * x;
}
