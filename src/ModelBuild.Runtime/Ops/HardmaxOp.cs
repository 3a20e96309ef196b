using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Hardmax on any axis: 1 at the first index of the largest value along <paramref name="Axis"/>, 0 elsewhere
/// (opset ≥ 13), or, with <paramref name="Coerce2D"/> (opsets 1–12), over all dims from <paramref name="Axis"/> on as one.
/// </summary>
/// <param name="X">Input, rank ≥ 1.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
/// <param name="Coerce2D">Opset &lt; 13 semantics.</param>
public sealed record HardmaxOp(int X, int Y, int Axis, bool Coerce2D) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => SampleFlow.IsInnerAxis(Axis, flow.Rank(X)) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c) => SoftmaxAxis.Run(this, c, X, Y, Axis, Coerce2D, Kernels.Hardmax);
}
