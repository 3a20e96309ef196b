using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX LogSoftmax on any axis: <c>y = x − max − log Σ e^(x − max)</c> along <paramref name="Axis"/> (opset ≥ 13),
/// or, with <paramref name="Coerce2D"/> (opsets 1–12), over all dims from <paramref name="Axis"/> on as one.
/// </summary>
/// <param name="X">Input, rank ≥ 1.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
/// <param name="Coerce2D">Opset &lt; 13 semantics.</param>
public sealed record LogSoftmaxOp(int X, int Y, int Axis, bool Coerce2D) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => SampleFlow.IsInnerAxis(Axis, flow.Rank(X)) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c) => SoftmaxAxis.Run(this, c, X, Y, Axis, Coerce2D, Kernels.LogSoftmax);
}
