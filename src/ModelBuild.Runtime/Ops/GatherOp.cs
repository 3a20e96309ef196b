using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Gather, any element type: <c>y[i…, j…, k…] = x[i…, indices[j…], k…]</c> along <paramref name="Axis"/>;
/// negative indices count from the end. Indices may be constants or computed (embedding lookup).
/// </summary>
/// <param name="X">Data.</param>
/// <param name="Indices">An int64 value of indices.</param>
/// <param name="Y">Output, shape <c>x[..axis] + indices + x[axis+1..]</c>.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
public sealed record GatherOp(int X, int Indices, int Y, int Axis) : Op
{
    /// <inheritdoc/>
    // Batched data gathered along an inner axis by constant indices, or a constant table (an embedding) looked up
    // along axis 0 by batched indices, whose dims then come first in the output.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.IsBatched(X) ? flow.IsConstant(Indices) && SampleFlow.IsInnerAxis(Axis, flow.Rank(X)) && flow.Batched(Y)
            : flow.IsConstant(X) && flow.IsBatched(Indices) && (Axis == 0 || Axis == -flow.Rank(X)) && flow.Batched(Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var idxShape = c.Shape(Indices);
        if (!ShapeMath.TryAxis(Axis, xs.Length, out var axis))
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        var rank = xs.Length - 1 + idxShape.Length;
        if (rank > ShapeMath.MaxRank)
        {
            throw Fail($"the output rank {rank} exceeds {ShapeMath.MaxRank}.");
        }

        Span<int> ys = stackalloc int[rank];
        xs[..axis].CopyTo(ys);
        idxShape.CopyTo(ys[axis..]);
        xs[(axis + 1)..].CopyTo(ys[(axis + idxShape.Length)..]);
        var size = c.ElementSize(X);
        var y = c.OutputBytes(Y, ys);
        var x = c.Bytes(X);
        var indices = c.Longs(Indices);
        var outer = ShapeMath.Product(xs[..axis]);
        var inner = ShapeMath.Product(xs[(axis + 1)..]) * size;
        var n = xs[axis];
        var o = 0;
        for (var i = 0; i < outer; i++)
        {
            foreach (var raw in indices)
            {
                var k = raw < 0 ? raw + n : raw;
                if ((ulong)k >= (ulong)n)
                {
                    throw Fail($"index {raw} is outside the axis of size {n}.");
                }

                x.Slice((int)(((i * (long)n) + k) * inner), inner).CopyTo(y.Slice(o, inner));
                o += inner;
            }
        }
    }
}
