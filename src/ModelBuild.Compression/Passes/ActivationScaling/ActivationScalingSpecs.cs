using ModelBuild.Compression.Manifest;
using static System.FormattableString;

namespace ModelBuild.Compression.Passes.ActivationScaling;

/// <summary>
/// Activation-aware weight quantisation (<c>{"awq": {...}}</c>; Lin et al., 2023, arXiv:2306.00978): per input
/// channel scales s = mean|x|^α searched on calibration data, W·diag(s) quantised by <see cref="Quantize"/>, and 1/s
/// folded into the layer that produces x (or a Mul before the layer).
/// </summary>
/// <param name="Quantize">The quantisation that follows the scaling: bits, groups, RTN or GPTQ, exclusions (defaults int4, per-group 128).</param>
/// <param name="GridSteps">α is searched on {0, 1/GridSteps, …, 1} (20 in the paper's code).</param>
public sealed record AwqSpec(QuantizeSpec Quantize, int GridSteps) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "awq";

    /// <inheritdoc />
    public override string Name => PassName;

    /// <inheritdoc />
    public override string Describe() => Invariant($"{PassName}(grid={GridSteps})+{Quantize.Describe()}");

    /// <inheritdoc />
    public override ICompressionPass CreatePass() => new AwqPass(this);
}

/// <summary>
/// SmoothQuant's outlier migration (<c>{"smoothquant": {...}}</c>; Xiao et al., 2023, arXiv:2211.10438): per input
/// channel s = max|X|^α / max|W|^(1−α), W·diag(s) and 1/s folded into the producer of x (or a Mul before the layer),
/// so that int8 activations (per tensor) lose less. The weights stay float: a <c>quantize</c> pass follows.
/// </summary>
/// <param name="Alpha">Migration strength in [0, 1] (0.5 in the paper).</param>
/// <param name="Exclude">Weight names, node names or op types left alone.</param>
/// <param name="Layers">Only these layers; empty = all.</param>
public sealed record SmoothQuantSpec(double Alpha, IReadOnlyList<string> Exclude, IReadOnlyList<string> Layers) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "smoothquant";

    /// <inheritdoc />
    public override string Name => PassName;

    /// <inheritdoc />
    public override string Describe() => Invariant($"{PassName}(alpha={Alpha}")
        + (Exclude.Count > 0 ? $",exclude={string.Join("|", Exclude)}" : "") + (Layers.Count > 0 ? $",layers={string.Join("|", Layers)}" : "") + ")";

    /// <inheritdoc />
    public override ICompressionPass CreatePass() => new SmoothQuantPass(this);

    /// <summary>Value equality, comparing the lists by their items.</summary>
    public bool Equals(SmoothQuantSpec? other) => other is not null && Describe() == other.Describe();

    /// <inheritdoc />
    public override int GetHashCode() => Describe().GetHashCode(StringComparison.Ordinal);
}
