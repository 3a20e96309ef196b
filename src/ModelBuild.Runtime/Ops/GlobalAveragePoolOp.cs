using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX GlobalAveragePool: the mean over all spatial positions, <c>[N, C, D1…] → [N, C, 1…]</c>.</summary>
/// <param name="X">Input, rank ≥ 2.</param>
/// <param name="Y">Output, same rank, spatial dims 1.</param>
public sealed record GlobalAveragePoolOp(int X, int Y) : Op
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
            Simd.Fill(y, float.NaN); // the mean of nothing, as numpy and ONNX Runtime give
            return;
        }

        Kernels.GlobalAveragePool(c.Floats(X), y, planes, hw);
    }
}
