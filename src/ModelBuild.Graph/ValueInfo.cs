namespace ModelBuild.Graph;

/// <summary>A named value flowing between nodes: its element type and (possibly partial) shape.</summary>
public sealed record ValueInfo(string Name, DataType ElementType, TensorShape? Shape)
{
    /// <summary>ONNX <c>doc_string</c>, carried into generated XML docs.</summary>
    public string? DocString { get; init; }
}
