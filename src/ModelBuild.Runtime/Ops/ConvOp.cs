using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// 2-D convolution, NCHW (ONNX Conv): groups, pads or auto_pad, strides, dilations, bias and a fused activation.
/// The output size is computed per call from the input's H and W.
/// </summary>
/// <param name="X">Input <c>[N, C, H, W]</c>.</param>
/// <param name="Y">Output <c>[N, OC, OH, OW]</c>.</param>
/// <param name="Weight">Blob entry of the weights as an <c>OC × (C/group·KH·KW)</c> matrix.</param>
/// <param name="Bias">Blob entry of OC floats, or -1.</param>
/// <param name="KernelShape">[KH, KW].</param>
/// <param name="Strides">[SH, SW].</param>
/// <param name="Dilations">[DH, DW].</param>
/// <param name="Pads">[top, left, bottom, right] (ignored unless <paramref name="AutoPad"/> is NOTSET).</param>
/// <param name="AutoPad">ONNX auto_pad: NOTSET, SAME_UPPER, SAME_LOWER or VALID.</param>
/// <param name="Group">Number of groups.</param>
/// <param name="Act">Fused activation.</param>
public sealed record ConvOp(int X, int Y, int Weight, int Bias, int[] KernelShape, int[] Strides, int[] Dilations, int[] Pads,
    string AutoPad, int Group, Activation Act) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (Spatial.Check(xs, KernelShape, Strides, Dilations, Pads, 2) is { } problem)
        {
            throw Fail(problem);
        }

        var w = c.Matrix(Weight);
        int n = xs[0], ch = xs[1], h = xs[2], wd = xs[3];
        if (Group < 1 || ch % Group != 0 || w.Rows % Group != 0 || w.Cols != ch / Group * KernelShape[0] * KernelShape[1])
        {
            throw Fail($"the input {ShapeMath.Format(xs)} has {ch} channels; the weight expects {w.Cols / (KernelShape[0] * KernelShape[1]) * Group} in {Group} group(s).");
        }

        if (!Spatial.TryResolve(h, KernelShape[0], Strides[0], Dilations[0], Pads[0], Pads[2], AutoPad, false, out var oh, out var pt, out var pb)
            || !Spatial.TryResolve(wd, KernelShape[1], Strides[1], Dilations[1], Pads[1], Pads[3], AutoPad, false, out var ow, out var pl, out var pr))
        {
            throw Fail($"the {KernelShape[0]}x{KernelShape[1]} window does not fit the input {ShapeMath.Format(xs)}.");
        }

        var shape = new Conv2DShape(ch, h, wd, w.Rows, oh, ow, KernelShape[0], KernelShape[1], Strides[0], Strides[1],
            Dilations[0], Dilations[1], pt, pl, pb, pr, Group);
        var y = c.OutputFloats(Y, [n, w.Rows, oh, ow]);
        var scratch = c.Scratch(Kernels.Conv2DScratch(shape));
        Kernels.Conv2D(c.Floats(X), w, c.BlobFloats(Bias), y, scratch, shape, n, Act);
    }
}
