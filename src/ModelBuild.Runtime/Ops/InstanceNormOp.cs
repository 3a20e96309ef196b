using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX InstanceNormalization: for every sample n and channel c of <c>x [N, C, D1, …]</c>, over its spatial values,
/// <c>y = (x − mean) / √(var + ε) · Scale[c] + Bias[c]</c> (biased variance).
/// </summary>
/// <param name="X">Input <c>[N, C, …]</c>, rank ≥ 2.</param>
/// <param name="Scale">Per-channel scale, C floats.</param>
/// <param name="Bias">Per-channel bias, C floats.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Epsilon">ε added to the variance.</param>
public sealed record InstanceNormOp(int X, int Scale, int Bias, int Y, float Epsilon) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.IsConstant(Scale) && flow.IsConstant(Bias) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (xs.Length < 2)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} must be [N, C, …].");
        }

        var channels = xs[1];
        var scale = c.Floats(Scale);
        var bias = c.Floats(Bias);
        if (scale.Length != channels || bias.Length != channels)
        {
            throw Fail($"scale ({scale.Length} values) and bias ({bias.Length}) must hold one value per channel of {ShapeMath.Format(xs)}.");
        }

        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        var y = c.OutputFloats(Y, shape);
        if (y.Length == 0)
        {
            return;
        }

        var x = c.Floats(X);
        var hw = ShapeMath.Product(xs[2..]);
        var level = Simd.Best;
        for (var plane = 0; plane < xs[0] * channels; plane++)
        {
            var ch = plane % channels;
            ref var xp = ref MemoryMarshal.GetReference(x.Slice(plane * hw, hw));
            var (mean, variance) = Kernels.RowMoments(level, ref xp, hw);
            var s = scale[ch] / MathF.Sqrt(variance + Epsilon);
            Kernels.ShiftScale(level, ref xp, mean, s, bias[ch], ref MemoryMarshal.GetReference(y.Slice(plane * hw, hw)), hw);
        }
    }
}
