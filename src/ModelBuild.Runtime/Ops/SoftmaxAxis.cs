using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>How the softmax family (Softmax, LogSoftmax, Hardmax) sees its input: <c>[outer, n, inner]</c>.</summary>
internal static class SoftmaxAxis
{
    /// <summary>A kernel over the middle index of <c>[outer, n, inner]</c> (<see cref="Kernels.Softmax(ReadOnlySpan{float}, Span{float}, int, int, int)"/> and its kin).</summary>
    public delegate void Kernel(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner);

    /// <summary>The whole op: splits X's shape around the axis, makes Y of the same shape and runs the kernel on it.</summary>
    public static void Run(Op op, OpContext c, int x, int y, int axis, bool coerce2D, Kernel kernel)
    {
        var xs = c.Shape(x);
        var (outer, n, inner) = Split(op, xs, axis, coerce2D);
        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        var output = c.OutputFloats(y, shape);
        if (output.Length > 0)
        {
            kernel(c.Floats(x), output, outer, n, inner);
        }
    }

    /// <summary>
    /// The split around <paramref name="axis"/>; with <paramref name="coerce2D"/> (opsets before 13) every dim from the
    /// axis on is one row of n, so inner is 1.
    /// </summary>
    public static (int Outer, int N, int Inner) Split(Op op, ReadOnlySpan<int> xs, int axis, bool coerce2D)
    {
        if (!ShapeMath.TryAxis(axis, xs.Length, out var a))
        {
            throw op.Fail($"axis {axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        var outer = ShapeMath.Product(xs[..a]);
        return coerce2D ? (outer, ShapeMath.Product(xs[a..]), 1) : (outer, xs[a], ShapeMath.Product(xs[(a + 1)..]));
    }
}
