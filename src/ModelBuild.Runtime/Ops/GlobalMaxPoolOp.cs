using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX GlobalMaxPool: the maximum over all spatial positions, <c>[N, C, D1…] → [N, C, 1…]</c> (NaN propagates).</summary>
/// <param name="X">Input, rank ≥ 2.</param>
/// <param name="Y">Output, same rank, spatial dims 1.</param>
public sealed record GlobalMaxPoolOp(int X, int Y) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        if (Spatial.GlobalPoolOutput(c, X, Y, out var y, out var planes, out var hw) is { } problem)
        {
            throw Fail(problem);
        }

        if (hw == 0)
        {
            if (y.Length > 0)
            {
                throw Fail($"the input {ShapeMath.Format(c.Shape(X))} has no spatial positions to take a maximum of.");
            }

            return;
        }

        Kernels.GlobalMaxPool(Simd.Best, c.Floats(X), y, planes, hw);
    }
}
