using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// 2-D MaxPool or AveragePool, NCHW (ONNX MaxPool/AveragePool): pads or auto_pad, strides, dilations, ceil_mode,
/// count_include_pad. Padding never wins a max. The output size is computed per call.
/// </summary>
/// <param name="X">Input <c>[N, C, H, W]</c>.</param>
/// <param name="Y">Output <c>[N, C, OH, OW]</c>.</param>
/// <param name="IsMax">MaxPool when true, AveragePool otherwise.</param>
/// <param name="KernelShape">[KH, KW].</param>
/// <param name="Strides">[SH, SW].</param>
/// <param name="Dilations">[DH, DW].</param>
/// <param name="Pads">[top, left, bottom, right].</param>
/// <param name="AutoPad">ONNX auto_pad.</param>
/// <param name="CeilMode">ONNX ceil_mode.</param>
/// <param name="CountIncludePad">ONNX count_include_pad (AveragePool).</param>
public sealed record PoolOp(int X, int Y, bool IsMax, int[] KernelShape, int[] Strides, int[] Dilations, int[] Pads, string AutoPad,
    bool CeilMode, bool CountIncludePad) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (Spatial.Check(xs, KernelShape, Strides, Dilations, Pads, 2) is { } problem)
        {
            throw Fail(problem);
        }

        int n = xs[0], ch = xs[1], h = xs[2], w = xs[3];
        if (!Spatial.TryResolve(h, KernelShape[0], Strides[0], Dilations[0], Pads[0], Pads[2], AutoPad, CeilMode, out var oh, out var pt, out var pb)
            || !Spatial.TryResolve(w, KernelShape[1], Strides[1], Dilations[1], Pads[1], Pads[3], AutoPad, CeilMode, out var ow, out var pl, out var pr))
        {
            throw Fail($"the {KernelShape[0]}x{KernelShape[1]} window does not fit the input {ShapeMath.Format(xs)}.");
        }

        var y = c.OutputFloats(Y, [n, ch, oh, ow]);
        if (y.Length == 0)
        {
            return;
        }

        var shape = new Pool2DShape(ch, h, w, oh, ow, KernelShape[0], KernelShape[1], Strides[0], Strides[1], Dilations[0], Dilations[1], pt, pl, pb, pr);
        if (IsMax)
        {
            Kernels.MaxPool2D(c.Floats(X), y, shape, n);
        }
        else
        {
            Kernels.AveragePool2D(c.Floats(X), y, shape, n, CountIncludePad);
        }
    }
}
