using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>How the softmax family (Softmax, LogSoftmax, Hardmax) sees its input: <c>[outer, n, inner]</c>.</summary>
internal static class SoftmaxAxis
{
    /// <summary>
    /// The split around <paramref name="axis"/>; with <paramref name="coerce2D"/> (opsets before 13) every dim from the
    /// axis on is one row of n, so inner is 1.
    /// </summary>
    public static (int Outer, int N, int Inner) Split(Op op, ReadOnlySpan<int> xs, int axis, bool coerce2D)
    {
        if (!ShapeMath.TryAxis(axis, xs.Length, out var a))
        {
            throw new ArgumentException($"{op.GetType().Name.Replace("Op", "", StringComparison.Ordinal)} '{op.Node}': axis {axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        var outer = ShapeMath.Product(xs[..a]);
        return coerce2D ? (outer, ShapeMath.Product(xs[a..]), 1) : (outer, xs[a], ShapeMath.Product(xs[(a + 1)..]));
    }
}
