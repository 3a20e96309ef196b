using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX MaxUnpool: a zero tensor with each <c>X[i]</c> written at the flat position <c>Indices[i]</c> (MaxPool's
/// Indices output). The output is <c>output_shape</c> when given, else <c>[N, C, (in − 1)·s + k − pads…]</c>.
/// </summary>
/// <param name="X">Pooled values <c>[N, C, spatial…]</c>.</param>
/// <param name="Indices">Int64 flat output positions, X's shape.</param>
/// <param name="OutputShape">Value id of the int64 output shape, or -1.</param>
/// <param name="Y">Output.</param>
/// <param name="KernelShape">Window size per spatial axis.</param>
/// <param name="Strides">Strides.</param>
/// <param name="Pads">[begin…, end…].</param>
public sealed record MaxUnpoolOp(int X, int Indices, int OutputShape, int Y, int[] KernelShape, int[] Strides, int[] Pads) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        int rank = KernelShape.Length;
        if (xs.Length != rank + 2 || Strides.Length != rank || Pads.Length != 2 * rank || !xs.SequenceEqual(c.Shape(Indices)))
        {
            throw Fail($"expects X and Indices of the same shape [N, C, {rank} spatial axes], got {ShapeMath.Format(xs)} and {ShapeMath.Format(c.Shape(Indices))}.");
        }

        Span<int> ys = stackalloc int[rank + 2];
        if (OutputShape >= 0)
        {
            var given = c.Longs(OutputShape);
            if (given.Length != rank + 2)
            {
                throw Fail($"output_shape has {given.Length} values; {rank + 2} expected.");
            }

            for (int i = 0; i < ys.Length; i++)
            {
                ys[i] = given[i] is >= 0 and <= int.MaxValue ? (int)given[i] : throw Fail($"output_shape[{i}] = {given[i]}.");
            }
        }
        else
        {
            ys[0] = xs[0];
            ys[1] = xs[1];
            for (int i = 0; i < rank; i++)
            {
                ys[i + 2] = ((xs[i + 2] - 1) * Strides[i]) + KernelShape[i] - Pads[i] - Pads[i + rank];
            }
        }

        var y = c.OutputFloats(Y, ys);
        y.Clear();
        var x = c.Floats(X);
        var indices = c.Longs(Indices);
        for (int i = 0; i < x.Length; i++)
        {
            long at = indices[i];
            if ((ulong)at >= (ulong)y.Length)
            {
                throw Fail($"index {at} is outside the output {ShapeMath.Format(ys)}.");
            }

            y[(int)at] = x[i];
        }
    }
}
