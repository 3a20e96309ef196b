using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// <c>y[n, c, …] = x[n, c, …] · scale[c] + bias[c]</c>: an inference-mode BatchNormalization that could not be
/// folded into a neighbouring Conv/Gemm (scale = γ/√(σ²+ε), bias = β − μ·scale, computed at build time).
/// </summary>
/// <param name="X">Input <c>[N, C, …]</c>.</param>
/// <param name="Y">Output, same shape; may share the input's storage.</param>
/// <param name="Scale">Blob entry of C floats.</param>
/// <param name="Bias">Blob entry of C floats.</param>
public sealed record ChannelAffineOp(int X, int Y, int Scale, int Bias) : Op, IInPlaceOp
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var scale = c.BlobFloats(Scale);
        if (xs.Length < 2 || xs[1] != scale.Length)
        {
            throw Fail($"expects [N, {scale.Length}, …], got {ShapeMath.Format(xs)}.");
        }

        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        var y = c.OutputFloats(Y, shape);
        Kernels.ChannelAffine(c.Floats(X), y, scale, c.BlobFloats(Bias), xs[1], ShapeMath.Product(xs[2..]), xs[0]);
    }
}
