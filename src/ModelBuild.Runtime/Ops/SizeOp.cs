using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX Size: the input's element count as an int64 scalar.</summary>
/// <param name="X">Input (any type).</param>
/// <param name="Y">Output, int64 scalar.</param>
public sealed record SizeOp(int X, int Y) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c) => c.OutputLongs(Y, [])[0] = c.Count(X);
}
