using ModelBuild.Compression.Manifest;
using static System.FormattableString;

namespace ModelBuild.Compression.Passes.Pruning;

/// <summary>How the unstructured <c>prune</c> pass chooses the weights to zero.</summary>
public enum PruneMethod
{
    /// <summary>Smallest absolute values first.</summary>
    Magnitude,

    /// <summary>SparseGPT (Frantar and Alistarh 2023): OBS saliency w²/[H⁻¹]ᵢᵢ² with updates of the remaining weights.</summary>
    SparseGpt,

    /// <summary>Keep the N largest magnitudes of every M consecutive inputs of a row.</summary>
    NOfM,
}

/// <summary>Whether the sparsity target holds for all selected weights together or for each layer.</summary>
public enum PruneScope
{
    /// <summary>One magnitude ranking over all selected layers.</summary>
    Global,

    /// <summary>Every selected layer reaches the target.</summary>
    PerLayer,
}

/// <summary>How the sparsity of the intermediate rounds grows towards the target.</summary>
public enum PruneSchedule
{
    /// <summary>Round r of k keeps (1 − s)^(r/k) of the weights: the same fraction of the survivors each round.</summary>
    Geometric,

    /// <summary>Round r of k reaches s·r/k.</summary>
    Linear,
}

/// <summary>
/// Unstructured pruning (<c>{"prune": {...}}</c>): zeros weights of Conv/Gemm/MatMul layers in the graph.
/// </summary>
/// <remarks>
/// Pruning edits float weights, so it belongs before quantisation in the manifest. When a layer already has a
/// stored representation, that representation is kept and wrapped in a <see cref="Representation.SparseMatrix"/>
/// with the pruning mask (kept values are not re-quantised after SparseGPT or reconstruction updates).
/// </remarks>
/// <param name="Method">How weights are chosen.</param>
/// <param name="Sparsity">The fraction of zeros to reach (0..0.99); ignored with <paramref name="Threshold"/> or N:M.</param>
/// <param name="Threshold">When set (magnitude only): zero every weight with |w| below it instead of a target.</param>
/// <param name="Scope">
/// Global or per-layer ranking. SparseGPT with global scope takes each layer's sparsity from the global magnitude
/// ranking. Global is the default for every method (SparseGPT's paper uses uniform per-layer sparsity, which
/// measured far worse on the shared MNIST models at 90–95 %, README); N:M patterns are per layer by nature.
/// </param>
/// <param name="Exclude">Weight names, node names or op types left dense.</param>
/// <param name="Rounds">Prune→reconstruct rounds reaching the target along <paramref name="Schedule"/>.</param>
/// <param name="Schedule">How intermediate targets grow.</param>
/// <param name="Reconstruct">After each round, refit kept weights and bias of Gemm/MatMul layers by ridge least squares.</param>
/// <param name="Ridge">The ridge strength relative to the mean input energy.</param>
/// <param name="N">N of N:M (kept per group); 0 when not N:M.</param>
/// <param name="M">M of N:M (group length).</param>
/// <param name="BlockSize">SparseGPT's column block (mask selection and lazy updates).</param>
/// <param name="Damping">SparseGPT's Hessian damping as a fraction of its mean diagonal.</param>
public sealed record PruneSpec(
    PruneMethod Method, double Sparsity, double? Threshold, PruneScope Scope, IReadOnlyList<string> Exclude, int Rounds,
    PruneSchedule Schedule, bool Reconstruct, double Ridge, int N, int M, int BlockSize = 128, double Damping = 0.01) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "prune";

    /// <inheritdoc />
    public override string Name => PassName;

    /// <summary>True when the mask is N:M (method "n:m", or SparseGPT with n and m).</summary>
    public bool IsNOfM => N > 0;

    /// <inheritdoc />
    public override string Describe()
    {
        var method = Method switch { PruneMethod.SparseGpt => "sparsegpt", PruneMethod.NOfM => "n:m", _ => "magnitude" };
        var target = IsNOfM ? $"{N}:{M}" : Threshold is { } t ? Invariant($"threshold {t:G4}") : Invariant($"{Sparsity:P1}");
        var scope = !IsNOfM && Threshold is null ? (Scope == PruneScope.Global ? ",global" : ",per-layer") : "";
        var rounds = Rounds > 1 ? $",{Rounds} rounds" : "";
        return $"{PassName}({method},{target}{scope}{rounds}{(Reconstruct ? ",reconstruct" : "")})";
    }

    /// <inheritdoc />
    public override ICompressionPass CreatePass() => new PrunePass(this);
}

/// <summary>How <c>prune-structured</c> ranks output channels.</summary>
public enum ChannelCriterion
{
    /// <summary>Sum of |w| of the channel's weights.</summary>
    L1,

    /// <summary>Euclidean norm of the channel's weights.</summary>
    L2,

    /// <summary>
    /// First-order Taylor saliency (Molchanov et al. 2017) without gradients: mean |activation| of the channel on
    /// calibration data times the norm of the next layer's weights reading it.
    /// </summary>
    Taylor,
}

/// <summary>Structured pruning (<c>{"prune-structured": {...}}</c>): removes whole output channels and shrinks the graph.</summary>
/// <param name="Fraction">The fraction of each selected layer's output channels to remove (0..0.9).</param>
/// <param name="Criterion">How channels are ranked.</param>
/// <param name="Layers">Weight or node names to prune; empty: every layer whose consumers can follow.</param>
/// <param name="Exclude">Weight names, node names or op types left alone.</param>
/// <param name="Reconstruct">Refit the next layer (Gemm/MatMul) by ridge least squares to the unpruned model's outputs.</param>
/// <param name="Ridge">The ridge strength relative to the mean input energy.</param>
public sealed record StructuredPruneSpec(
    double Fraction, ChannelCriterion Criterion, IReadOnlyList<string> Layers, IReadOnlyList<string> Exclude, bool Reconstruct, double Ridge) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "prune-structured";

    /// <inheritdoc />
    public override string Name => PassName;

    /// <inheritdoc />
    public override string Describe() =>
        Invariant($"{PassName}({Fraction:P0},{Criterion.ToString().ToLowerInvariant()}{(Reconstruct ? ",reconstruct" : "")})");

    /// <inheritdoc />
    public override ICompressionPass CreatePass() => new StructuredPrunePass(this);
}
