namespace ModelBuild.Compression.Manifest;

/// <summary>How the activations feeding a layer are quantised to 8 bits.</summary>
public enum ActivationMode
{
    /// <summary>Per call, per tensor, from the input's own range (ONNX DynamicQuantizeLinear).</summary>
    Dynamic,

    /// <summary>One scale and zero point per layer, calibrated on the manifest's calibration data (ONNX QuantizeLinear).</summary>
    Static,
}

/// <summary>
/// 8-bit activations for Gemm/MatMul layers with constant weights (<c>{"quantize-activations": {...}}</c>): their
/// weights become int8 symmetric per channel (when still float32) and the generated code multiplies uint8 activation
/// codes by them in exact int32 arithmetic (<c>QuantizedDenseOp</c>).
/// </summary>
/// <param name="Mode">Dynamic (per call) or static (calibrated).</param>
public sealed record ActivationQuantizeSpec(ActivationMode Mode) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "quantize-activations";

    /// <summary>Weight names, node names or op types left with float activations.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Only these layers (weight names, node names or op types); empty = all.</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <inheritdoc />
    public override string Name => PassName;

    /// <inheritdoc />
    public override string Describe() =>
        $"{PassName}({(Mode == ActivationMode.Dynamic ? "dynamic" : "static")}"
        + (Exclude.Count > 0 ? $",exclude={string.Join("|", Exclude)}" : "")
        + (Layers.Count > 0 ? $",layers={string.Join("|", Layers)}" : "") + ")";

    /// <inheritdoc />
    public override Passes.ICompressionPass CreatePass() => new Passes.Activations.ActivationQuantizePass(this);

    /// <summary>Value equality, comparing the name lists by their items.</summary>
    public bool Equals(ActivationQuantizeSpec? other) => other is not null && Describe() == other.Describe();

    /// <inheritdoc />
    public override int GetHashCode() => Describe().GetHashCode(StringComparison.Ordinal);
}
