using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX GroupNormalization: the C channels of <c>x [N, C, D1, …]</c> split into <paramref name="Groups"/> groups of
/// C/G consecutive channels; each sample's group is normalised over all its values,
/// <c>y = (x − mean) / √(var + ε) · scale + bias</c>, with scale and bias per channel (opset 21) or per group
/// (opset 18, <paramref name="PerChannel"/> false).
/// </summary>
/// <param name="X">Input <c>[N, C, …]</c>, rank ≥ 2.</param>
/// <param name="Scale">Scale: C floats (per channel) or G floats (per group).</param>
/// <param name="Bias">Bias, same length as the scale.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Groups">Number of groups G (C must be a multiple).</param>
/// <param name="Epsilon">ε added to the variance.</param>
/// <param name="PerChannel">Opset ≥ 21 semantics: scale and bias per channel.</param>
public sealed record GroupNormOp(int X, int Scale, int Bias, int Y, int Groups, float Epsilon, bool PerChannel) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.IsConstant(Scale) && flow.IsConstant(Bias) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (xs.Length < 2 || Groups <= 0 || xs[1] % Groups != 0)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} must be [N, C, …] with C a multiple of num_groups = {Groups}.");
        }

        var channels = xs[1];
        var perGroup = channels / Groups;
        var expected = PerChannel ? channels : Groups;
        var scale = c.Floats(Scale);
        var bias = c.Floats(Bias);
        if (scale.Length != expected || bias.Length != expected)
        {
            throw Fail($"scale ({scale.Length} values) and bias ({bias.Length}) must hold {expected} values (one per {(PerChannel ? "channel" : "group")}).");
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
        var block = perGroup * hw;
        var level = Simd.Best;
        for (var group = 0; group < xs[0] * Groups; group++)
        {
            var g = group % Groups;
            var (mean, variance) = Kernels.RowMoments(level, ref MemoryMarshal.GetReference(x.Slice(group * block, block)), block);
            var inv = 1f / MathF.Sqrt(variance + Epsilon);
            for (var k = 0; k < perGroup; k++)
            {
                var p = PerChannel ? (g * perGroup) + k : g;
                var offset = (group * block) + (k * hw);
                Kernels.ShiftScale(level, ref MemoryMarshal.GetReference(x.Slice(offset, hw)), mean, inv * scale[p], bias[p], ref MemoryMarshal.GetReference(y.Slice(offset, hw)), hw);
            }
        }
    }
}
