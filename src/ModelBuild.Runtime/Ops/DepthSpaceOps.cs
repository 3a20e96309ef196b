using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX DepthToSpace, any element type, on <c>[N, C, H, W]</c> with block b: DCR mode is
/// <c>reshape [N, b, b, C/b², H, W] → transpose [0, 3, 4, 1, 5, 2] → reshape [N, C/b², H·b, W·b]</c>; CRD mode is
/// <c>reshape [N, C/b², b, b, H, W] → transpose [0, 1, 4, 2, 5, 3]</c> (the spec's formulas).
/// </summary>
/// <param name="X">Input, 4-D.</param>
/// <param name="Y">Output.</param>
/// <param name="BlockSize">b.</param>
/// <param name="Crd">True for CRD mode, false for DCR (the default).</param>
public sealed record DepthToSpaceOp(int X, int Y, int BlockSize, bool Crd) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var b = BlockSize;
        if (xs.Length != 4 || b < 1 || xs[1] % (b * b) != 0)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} is not 4-D with channels divisible by {b}².");
        }

        var (n, ch, h, w) = (xs[0], xs[1] / (b * b), xs[2], xs[3]);
        ReadOnlySpan<int> view = Crd ? [n, ch, b, b, h, w] : [n, b, b, ch, h, w];
        ReadOnlySpan<int> perm = Crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
        BlockPermute.Run(c, X, Y, view, perm, [n, ch, h * b, w * b]);
    }
}

/// <summary>
/// ONNX SpaceToDepth, any element type, on <c>[N, C, H, W]</c> with block b:
/// <c>reshape [N, C, H/b, b, W/b, b] → transpose [0, 3, 5, 1, 2, 4] → reshape [N, C·b², H/b, W/b]</c>.
/// </summary>
/// <param name="X">Input, 4-D with H and W divisible by b.</param>
/// <param name="Y">Output.</param>
/// <param name="BlockSize">b.</param>
public sealed record SpaceToDepthOp(int X, int Y, int BlockSize) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var b = BlockSize;
        if (xs.Length != 4 || b < 1 || xs[2] % b != 0 || xs[3] % b != 0)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} is not 4-D with height and width divisible by {b}.");
        }

        var (n, ch, h, w) = (xs[0], xs[1], xs[2] / b, xs[3] / b);
        BlockPermute.Run(c, X, Y, [n, ch, h, b, w, b], [0, 3, 5, 1, 2, 4], [n, ch * b * b, h, w]);
    }
}

/// <summary>The reshape → transpose → reshape both block operators are.</summary>
internal static class BlockPermute
{
    public static void Run(OpContext c, int x, int y, ReadOnlySpan<int> view, ReadOnlySpan<int> perm, ReadOnlySpan<int> ys)
    {
        if (c.TypeOf(x) == TensorType.Float32)
        {
            var yf = c.OutputFloats(y, ys);
            if (yf.Length > 0)
            {
                Kernels.Transpose(c.Floats(x), yf, view, perm, 1);
            }

            return;
        }

        var yb = c.OutputBytes(y, ys);
        if (yb.Length > 0)
        {
            Strides.Permute(c.Bytes(x), yb, view, perm, c.ElementSize(x));
        }
    }
}
