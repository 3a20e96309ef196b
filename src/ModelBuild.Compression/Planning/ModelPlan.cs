using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Planning;

/// <summary>A weights-blob entry, listed in the plan for comments and docs.</summary>
public sealed record PlanWeight(int Index, string Name, string Format, IReadOnlyList<int> Dims);

/// <summary>
/// A graph input or output: its value id, element type and shape as the plan writes it (constants, or symbols
/// such as <c>batch</c> or <c>height</c> that are known only per call).
/// </summary>
public sealed record PlanTensor(int Index, string Name, int Value, TensorType Type, IReadOnlyList<string> Shape, string Doc);

/// <summary>
/// The model plan (docs/CONTRACTS.md §1, version 2): every tensor with its storage, the inputs and outputs, and the
/// operator calls as <see cref="Op"/> records. Shapes are not in the ops: each op computes them per call.
/// </summary>
public sealed class ModelPlan
{
    public const int FormatVersion = 2;

    public required string ClassName { get; init; }

    public required string Namespace { get; init; }

    public required string SourceFile { get; init; }

    public required string ResourceName { get; init; }

    public long OriginalBytes { get; set; }

    public long EmbeddedBytes { get; set; }

    public string Passes { get; set; } = "";

    /// <summary>Every tensor, indexed by value id; <see cref="ValueShapes"/> holds their inferred shapes for docs.</summary>
    public List<ValueDecl> Values { get; } = new();

    /// <summary>The build-time (possibly symbolic) shape of each value, for comments; null when unknown.</summary>
    public List<IReadOnlyList<string>?> ValueShapes { get; } = new();

    public List<PlanWeight> Weights { get; } = new();

    public List<PlanTensor> Inputs { get; } = new();

    public List<PlanTensor> Outputs { get; } = new();

    public List<Op> Ops { get; } = new();
}
