namespace ModelBuild.Compression.Planning;

/// <summary>An activation buffer: per-sample offset and size in floats (both scale with the batch).</summary>
public sealed record PlanBuffer(int Id, int Offset, int Size);

/// <summary>A weights-blob entry, listed in the plan for comments and docs.</summary>
public sealed record PlanWeight(int Index, string Name, string Format, IReadOnlyList<int> Dims);

/// <summary>A graph input or output: its buffer and per-sample shape (the batch dim written as <c>N</c>).</summary>
public sealed record PlanTensor(int Index, string Name, int Buffer, string Shape, string Doc);

/// <summary>One kernel call: the op kind, the ONNX node it came from, and its <c>key=value</c> arguments in order.</summary>
public sealed record PlanOp(string Kind, string Node, IReadOnlyList<KeyValuePair<string, string>> Args);

/// <summary>The model plan (docs/CONTRACTS.md §1): everything the source generator needs, nothing it must compute.</summary>
public sealed class ModelPlan
{
    public const int FormatVersion = 1;

    public required string ClassName { get; init; }

    public required string Namespace { get; init; }

    public required string SourceFile { get; init; }

    public required string ResourceName { get; init; }

    public long OriginalBytes { get; set; }

    public long EmbeddedBytes { get; set; }

    public string Passes { get; set; } = "";

    /// <summary>The batch symbol when the batch is dynamic; null when it is fixed.</summary>
    public string? BatchSymbol { get; init; }

    /// <summary>Samples per call when the batch is fixed.</summary>
    public int FixedBatch { get; init; } = 1;

    public int PerSampleFloats { get; init; }

    public int ScratchFloats { get; init; }

    public List<PlanBuffer> Buffers { get; } = new();

    public List<PlanWeight> Weights { get; } = new();

    public List<PlanTensor> Inputs { get; } = new();

    public List<PlanTensor> Outputs { get; } = new();

    public List<PlanOp> Ops { get; } = new();
}
