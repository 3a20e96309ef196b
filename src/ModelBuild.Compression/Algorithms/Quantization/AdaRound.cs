namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>AdaRound settings: the paper's schedule, with fewer, larger steps because every step sees all the data.</summary>
/// <param name="Iterations">Adam steps on the rounding variables (paper: 10,000–20,000 mini-batch steps).</param>
/// <param name="Regularization">
/// λ, the weight of the rounding regulariser against the reconstruction loss. The paper uses 0.01 over 20,000 steps;
/// with 500 steps that leaves many roundings undecided until the hard rounding at the end. Measured on mnist_mlp_256
/// (held-out logit MSE, int2 / int3 per channel): λ 0.001 → 10.7 / 0.153, 0.01 → 1.58 / 0.083, 0.1 → 0.86 / 0.076.
/// </param>
/// <param name="LearningRate">Adam's step size for V (0.01 measured 1.63 / 0.097 against 0.05's 1.58 / 0.083 at λ 0.01).</param>
public sealed record AdaRoundOptions(int Iterations = 500, double Regularization = 0.1, double LearningRate = 0.05)
{
    /// <summary>Share of the steps before the regulariser starts (paper: 0.2).</summary>
    public double WarmUp { get; init; } = 0.2;

    /// <summary>β at the end of the warm-up; it falls linearly to <see cref="BetaEnd"/> (paper: 20 → 2).</summary>
    public double BetaStart { get; init; } = 20;

    /// <summary>β at the last step.</summary>
    public double BetaEnd { get; init; } = 2;
}

/// <summary>What AdaRound did to one matrix, for the report.</summary>
/// <param name="RoundToNearestLoss">‖(Ŵ−W)·x‖² averaged over the calibration inputs, for round to nearest.</param>
/// <param name="Loss">The same for the rounding kept.</param>
/// <param name="Flipped">Share of weights rounded the other way than round to nearest would.</param>
/// <param name="KeptRoundToNearest">True when AdaRound did not beat round to nearest and its rounding was kept instead.</param>
public sealed record AdaRoundStats(double RoundToNearestLoss, double Loss, double Flipped, bool KeptRoundToNearest);

/// <summary>
/// AdaRound (Nagel, Amjad, van Baalen, Louizos, Blankevoort 2020, "Up or Down? Adaptive Rounding for Post-Training
/// Quantization", ICML, arXiv:2004.10568): on the round-to-nearest grid, learn for each weight whether to round down
/// or up so as to minimise the layer's output error ‖(W̃ − W)·x‖² on calibration inputs, instead of each weight's
/// own error.
/// </summary>
/// <remarks>
/// <para>The weight is W̃ = s·(⌊W/s⌋ + h(V) − z) with the rectified sigmoid h(V) = clip(σ(V)·(ζ−γ) + γ, 0, 1),
/// ζ = 1.1, γ = −0.1, V initialised so that h(V) equals the fractional part (W̃ = W at the start; eq. 23–24 and the
/// authors' code). The loss is E‖ΔW·x‖² + λ·Σ(1 − |2h(V)−1|^β) (λ: see <see cref="AdaRoundOptions"/>): after a warm-up without the regulariser, β anneals
/// linearly from 20 to 2, pushing every h(V) to 0 or 1 (eq. 24–25). Adam updates V; the result rounds up where
/// V ≥ 0.</para>
/// <para>E‖ΔW·x‖² = tr(ΔW·H·ΔWᵀ) with H = XᵀX/n, so each step is exact over all calibration inputs at once, through a
/// factor of H (<see cref="HessianSketch"/>); the paper samples mini-batches instead. Arithmetic is single-threaded
/// with element-wise SIMD only (no reductions whose order depends on the vector width) and the start is fixed, so
/// the result depends only on W, H and the settings. If the hard rounding ends up with a larger output error than
/// round to nearest, round to nearest is kept (<see cref="AdaRoundStats.KeptRoundToNearest"/>).</para>
/// </remarks>
public static class AdaRound
{
    private const double Zeta = 1.1;
    private const double Gamma = -0.1;
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    /// <summary>Quantises <paramref name="w"/> (rows × cols, row-major) against the input second moment <paramref name="h"/>.</summary>
    /// <param name="w">The weights.</param>
    /// <param name="rows">Output units.</param>
    /// <param name="cols">Inputs.</param>
    /// <param name="h">XᵀX/n (cols × cols, row-major) of the inputs the layer receives.</param>
    /// <param name="options">Bits, symmetry, groups (the grids are round to nearest's).</param>
    /// <param name="ada">Steps, λ, learning rate, β schedule.</param>
    /// <param name="outliers">Positions kept in fp16 (null: none); not optimised.</param>
    /// <param name="fixedZeros">Pruned positions that stay exactly 0; not optimised.</param>
    /// <param name="progress">Receives a line every 100 steps (null: none).</param>
    public static (QuantizedMatrix Matrix, float[] Decoded, AdaRoundStats Stats) Quantize(
        double[] w, int rows, int cols, double[] h, GridOptions options, AdaRoundOptions ada, bool[]? outliers, bool[]? fixedZeros,
        IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(ada);
        var (rtnMatrix, rtnDecoded) = RoundToNearest.Quantize(w, rows, cols, options, outliers, fixedZeros);
        var sketch = HessianSketch.Of(h, cols);
        var problem = RoundingProblem.Create(w, rows, cols, rtnMatrix, outliers, fixedZeros);
        var objective = new OutputError(sketch, rows);
        Optimise(problem, objective, ada, progress);

        var result = new QuantizedMatrix(rows, cols, rtnMatrix.Options);
        RoundToNearest.SetAllGrids(result, w, RoundToNearest.Skip(outliers, fixedZeros));
        var decoded = problem.HardRound(result, outliers, fixedZeros);
        var rtnLoss = objective.Loss(Delta(rtnDecoded, w));
        var loss = objective.Loss(Delta(decoded, w));
        var flipped = problem.Variables == 0 ? 0 : decoded.Where((v, i) => v != rtnDecoded[i]).Count() / (double)problem.Variables;
        return loss <= rtnLoss
            ? (result, decoded, new AdaRoundStats(rtnLoss, loss, flipped, false))
            : (rtnMatrix, rtnDecoded, new AdaRoundStats(rtnLoss, rtnLoss, 0, true));
    }

    private static void Optimise(RoundingProblem problem, OutputError objective, AdaRoundOptions ada, IProgress<string>? progress)
    {
        var n = problem.W.Length;
        var delta = new float[n];
        var gradient = new float[n];
        var sigmoids = new double[n];
        var m = new double[n];
        var s = new double[n];
        var warmUpEnd = (int)(ada.Iterations * ada.WarmUp);
        for (var t = 0; t < ada.Iterations; t++)
        {
            problem.SoftDelta(delta, sigmoids);
            var reconstruction = objective.Gradient(delta, gradient);
            var (beta, lambda) = t < warmUpEnd
                ? (ada.BetaStart, 0.0)
                : (ada.BetaEnd + ((ada.BetaStart - ada.BetaEnd) * Math.Max(0, 1 - ((t - warmUpEnd) / (double)Math.Max(1, ada.Iterations - warmUpEnd)))), ada.Regularization);
            var regulariser = 0.0;
            var correction1 = 1 - Math.Pow(Beta1, t + 1);
            var correction2 = 1 - Math.Pow(Beta2, t + 1);
            for (var i = 0; i < n; i++)
            {
                if (!problem.IsVariable[i])
                {
                    continue;
                }

                // h(V) = clip(σ(V)·(ζ − γ) + γ, 0, 1); where the clip bites, h is flat (no gradient) and |2h − 1| = 1.
                var sigmoid = sigmoids[i];
                var raw = (sigmoid * (Zeta - Gamma)) + Gamma;
                var g = 0.0;
                if (raw is > 0 and < 1)
                {
                    var distance = (2 * raw) - 1;
                    var dh = gradient[i] * problem.Scale[i];
                    if (lambda > 0)
                    {
                        var power = Math.Pow(Math.Abs(distance), beta - 1);
                        regulariser += 1 - (power * Math.Abs(distance));
                        dh -= lambda * beta * power * Math.Sign(distance) * 2;
                    }

                    g = dh * (Zeta - Gamma) * sigmoid * (1 - sigmoid);
                }

                m[i] = (Beta1 * m[i]) + ((1 - Beta1) * g);
                s[i] = (Beta2 * s[i]) + ((1 - Beta2) * g * g);
                problem.V[i] -= ada.LearningRate * (m[i] / correction1) / (Math.Sqrt(s[i] / correction2) + Epsilon);
            }

            if (progress is not null && (t + 1) % 100 == 0)
            {
                progress.Report(FormattableString.Invariant(
                    $"adaround: step {t + 1}/{ada.Iterations}, output error {reconstruction:0.####e+0}, β {beta:0.#}, regulariser {regulariser:0.#}"));
            }
        }
    }

    private static float[] Delta(float[] decoded, double[] w) => decoded.Select((v, i) => (float)(v - w[i])).ToArray();
}
