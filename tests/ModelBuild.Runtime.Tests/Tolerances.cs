namespace ModelBuild.Runtime.Tests;

/// <summary>Every tolerance the kernel tests use, with where it comes from.</summary>
internal static class Tolerances
{
    /// <summary>
    /// Relative error for a float32 sum of k products, measured against Σ|x·w| (not the result, which may
    /// cancel to 0): rounding grows like √k·ε on average and k·ε at worst, ε = 6e-8; k ≤ 1000 here gives
    /// ≤ 6e-5 worst case, so 1e-4 cannot fail on correct code and still catches a dropped or doubled term.
    /// </summary>
    public const double Dot = 1e-4;

    /// <summary>
    /// Winograd F(2×2, 3×3) and F(4×4, 3×3) convolutions, relative to Σ|x·w| as <see cref="Dot"/>: besides the GEMM's sum
    /// of C products, each output carries the roundings of the float32 transforms (Bᵀ d B, ≤ 12 additions with
    /// coefficients ≤ 5 per element; Aᵀ M A with coefficients ≤ 8) and of the weights' G g Gᵀ rounded once, which the
    /// transforms amplify by up to ‖Aᵀ‖·‖Bᵀ‖-sized factors (Barabasz et al., "Error analysis and improving the accuracy
    /// of Winograd convolution", 2020: F(4×4) float32 errors about 10× the direct sum's). 1e-4, as for the direct sum,
    /// held for all shapes tested (the largest error seen was ~1e-5 of Σ|x·w|); a dropped tile element or a wrong
    /// channel moves an output by ≥ 1e-2 of Σ|x·w|.
    /// </summary>
    public const double Winograd = 1e-4;

    /// <summary>Relative error of one float32 operation chain (a few roundings plus a 1-ulp exp): 1e-5.</summary>
    public const double Elementwise = 1e-5;

    /// <summary>
    /// The Erf approximation (Abramowitz &amp; Stegun 7.1.26) has absolute error 1.5e-7; the contract promises
    /// 1e-6 including float32 rounding.
    /// </summary>
    public const double ErfAbsolute = 1e-6;

    /// <summary>
    /// Tanh/Sigmoid/Exp/Softmax via the BCL's vector exp (≤ 1 ulp) and one division: relative 1e-5, plus an
    /// absolute 1e-6 for results near 0 where the formula 1 − e loses relative precision.
    /// </summary>
    public const double TranscendentalAbsolute = 1e-6;

    /// <summary>
    /// A value rounded to float32 a few times (Range's start + i·delta, a scatter's running product of ≤ 3 updates):
    /// each rounding costs at most ε/2 = 6e-8 relative, so 1e-6 holds with margin and still catches a wrong element.
    /// </summary>
    public const double FewRoundings = 1e-6;

    /// <summary>
    /// Absolute error of a separable float32 interpolation of values in [−1, 1]: each pass rounds once per tap (≤ 4
    /// taps, |weights| ≤ 1.5, so ≤ 4·1.5·6e-8 per pass on values ≤ 1.5 in magnitude), at most 3 passes here:
    /// under 2e-6; 1e-5 still catches a wrong tap or weight, which moves a value by ≥ 1e-2.
    /// </summary>
    public const double Interpolation = 1e-5;
}
