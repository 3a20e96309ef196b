using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX ScatterND (opset 16/18 reductions), float32/int64 (bool with no reduction): y = x, then for every index tuple
/// <c>indices[j…]</c> (length k = indices.shape[−1]), <c>y[tuple] = reduce(y[tuple], updates[j…])</c> where
/// <c>y[tuple]</c> is a slice of shape <c>x.shape[k..]</c>; updates have shape <c>indices.shape[..−1] + x.shape[k..]</c>.
/// </summary>
/// <param name="X">Data.</param>
/// <param name="Indices">int64 indices.</param>
/// <param name="Updates">Updates, same type as X.</param>
/// <param name="Y">Output, X's shape.</param>
/// <param name="Reduction">How an update combines with the element.</param>
public sealed record ScatterNDOp(int X, int Indices, int Updates, int Y, ScatterReduction Reduction) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var ids = c.Shape(Indices);
        var us = c.Shape(Updates);
        var q = ids.Length;
        var k = q == 0 ? -1 : ids[q - 1];
        if (k < 0 || k > xs.Length || us.Length != q - 1 + xs.Length - k || !us[..(q - 1)].SequenceEqual(ids[..(q - 1)])
            || !us[(q - 1)..].SequenceEqual(xs[k..]) || xs.Length > ShapeMath.MaxRank)
        {
            throw Fail($"data {ShapeMath.Format(xs)}, indices {ShapeMath.Format(ids)} and updates {ShapeMath.Format(us)} do not fit.");
        }

        c.Bytes(X).CopyTo(c.OutputBytes(Y, xs));
        Span<int> strides = stackalloc int[xs.Length];
        Strides.Of(xs, strides);
        var indices = c.Longs(Indices);
        var slice = ShapeMath.Product(xs[k..]);
        var tuples = ShapeMath.Product(ids[..(q - 1)]);
        var scatter = new Scatter(c, this, Updates, Y, Reduction);
        for (var t = 0; t < tuples; t++)
        {
            var dst = 0;
            for (var j = 0; j < k; j++)
            {
                var raw = indices[(t * k) + j];
                var i = raw < 0 ? raw + xs[j] : raw;
                if ((ulong)i >= (ulong)xs[j])
                {
                    throw Fail($"index {raw} is outside axis {j} of size {xs[j]}.");
                }

                dst += (int)i * strides[j];
            }

            scatter.Apply(dst, t * slice, slice);
        }
    }
}
