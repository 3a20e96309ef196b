using ModelBuild.Compression.Manifest;
using static System.FormattableString;

namespace ModelBuild.Compression.Passes.LowRank;

/// <summary>
/// Low-rank factorisation (<c>{"lowrank": {...}}</c>): a Gemm/MatMul weight W ≈ Uᵣ·Σᵣ·Vᵣᵀ becomes two Gemm nodes
/// (x·Vᵣ, then ·(Uᵣ·Σᵣ)ᵀ + bias) wherever rank·(rows + cols) &lt; rows·cols; a 1×1 Conv becomes two 1×1 Convs.
/// </summary>
/// <param name="Rank">A fixed rank; null when <paramref name="Energy"/> decides.</param>
/// <param name="Energy">The retained share of the squared singular values (0..1).</param>
/// <param name="Layers">Weight or node names to factorise; empty: all Gemm/MatMul layers.</param>
/// <param name="Exclude">Weight names, node names or op types left alone.</param>
/// <param name="Reconstruct">Refit the second factor and bias by ridge least squares to the original layer outputs.</param>
/// <param name="Ridge">The ridge strength relative to the mean input energy.</param>
public sealed record LowRankSpec(int? Rank, double? Energy, IReadOnlyList<string> Layers, IReadOnlyList<string> Exclude, bool Reconstruct, double Ridge) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "lowrank";

    /// <inheritdoc />
    public override string Name => PassName;

    /// <inheritdoc />
    public override string Describe() =>
        Invariant($"{PassName}({(Rank is { } r ? $"rank {r}" : Invariant($"energy {Energy:G4}"))}{(Reconstruct ? ",reconstruct" : "")})");

    /// <inheritdoc />
    public override ICompressionPass CreatePass() => new LowRankPass(this);
}
