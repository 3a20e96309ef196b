using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX OneHot (opset 9/11): the output inserts a dim of size <c>depth</c> into the indices' shape at
/// <paramref name="Axis"/> and holds <c>values[1]</c> where that coordinate equals the index, <c>values[0]</c>
/// elsewhere. Indices in [−depth, −1] count from the end (opset 11); other out-of-range indices give a row of
/// <c>values[0]</c>. Float indices and depth are truncated to integers, as the spec casts them.
/// </summary>
/// <param name="Indices">Indices (int64 or float32).</param>
/// <param name="Depth">Scalar or one-element depth (int64 or float32).</param>
/// <param name="Values">Two elements <c>[off, on]</c>, the output's type.</param>
/// <param name="Y">Output.</param>
/// <param name="Axis">Where the new dim goes (negative counts from the end of the output's rank).</param>
public sealed record OneHotOp(int Indices, int Depth, int Values, int Y, int Axis) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var ids = c.Shape(Indices);
        var rank = ids.Length + 1;
        if (!ShapeMath.TryAxis(Axis, rank, out var axis) || rank > ShapeMath.MaxRank)
        {
            throw Fail($"axis {Axis} is outside the output rank {rank}.");
        }

        if (c.Count(Depth) != 1 || c.Count(Values) != 2)
        {
            throw Fail($"depth {ShapeMath.Format(c.Shape(Depth))} must hold one element and values {ShapeMath.Format(c.Shape(Values))} two.");
        }

        var depthValue = Strides.Number(c, Depth, 0);
        if (!(depthValue >= 1) || depthValue > int.MaxValue)
        {
            throw Fail($"depth is {depthValue}.");
        }

        var depth = (int)depthValue;
        Span<int> ys = stackalloc int[rank];
        ids[..axis].CopyTo(ys);
        ys[axis] = depth;
        ids[axis..].CopyTo(ys[(axis + 1)..]);
        var size = c.ElementSize(Y);
        var y = c.OutputBytes(Y, ys);
        var values = c.Bytes(Values);
        var off = values[..size];
        var on = values.Slice(size, size);
        Strides.Fill(y, off);
        var outer = ShapeMath.Product(ids[..axis]);
        var inner = ShapeMath.Product(ids[axis..]);
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                var k = Strides.Index(c, Indices, (o * inner) + i);
                if (k < 0)
                {
                    k += depth;
                }

                if ((ulong)k < (ulong)depth)
                {
                    on.CopyTo(y.Slice((((((o * depth) + (int)k) * inner) + i) * size), size));
                }
            }
        }
    }
}
