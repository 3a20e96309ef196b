using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Expand, any element type: broadcasts the input to <c>broadcast(x.shape, shape)</c> (numpy rules, so a dim of 1
/// in <c>shape</c> keeps the input's dim). The shape is a constant list or an int64 value computed per call.
/// </summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output.</param>
/// <param name="Shape">Constant target shape (used when <paramref name="ShapeValue"/> is -1).</param>
/// <param name="ShapeValue">Value id of the computed int64 shape, or -1.</param>
public sealed record ExpandOp(int X, int Y, long[] Shape, int ShapeValue) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var target = Strides.Operand(c, ShapeValue, Shape);
        var rank = Math.Max(xs.Length, target.Length);
        if (rank > ShapeMath.MaxRank)
        {
            throw Fail($"rank {rank} exceeds {ShapeMath.MaxRank}.");
        }

        Span<int> ts = stackalloc int[target.Length];
        for (var i = 0; i < ts.Length; i++)
        {
            ts[i] = target[i] is >= 0 and <= int.MaxValue ? (int)target[i] : throw Fail($"shape element {i} is {target[i]}.");
        }

        Span<int> ys = stackalloc int[rank];
        if (!ShapeMath.TryBroadcast(xs, ts, ys))
        {
            throw Fail($"the input {ShapeMath.Format(xs)} does not broadcast to {ShapeMath.Format(ts)}.");
        }

        Span<int> px = stackalloc int[rank];
        ShapeMath.PadLeft(xs, px);
        var size = c.ElementSize(X);
        Copy(c.Bytes(X), px, c.OutputBytes(Y, ys), ys, size);
    }

    /// <summary>Broadcast copy of <paramref name="x"/> (shape <paramref name="px"/>, same rank as <paramref name="ys"/>).</summary>
    internal static void Copy(ReadOnlySpan<byte> x, ReadOnlySpan<int> px, Span<byte> y, ReadOnlySpan<int> ys, int size)
    {
        if (y.Length == 0)
        {
            return;
        }

        var rank = ys.Length;
        if (rank == 0)
        {
            x.CopyTo(y);
            return;
        }

        Span<int> strides = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        Broadcasting.Strides(px, strides);
        index.Clear();
        var last = rank - 1;
        var width = ys[last];
        var rowBytes = width * size;
        var rows = ShapeMath.Product(ys[..last]);
        for (var r = 0; r < rows; r++)
        {
            var src = 0;
            for (var d = 0; d < last; d++)
            {
                src += index[d] * strides[d];
            }

            var yRow = y.Slice(r * rowBytes, rowBytes);
            if (strides[last] == 0)
            {
                Strides.Fill(yRow, x.Slice(src * size, size));
            }
            else
            {
                x.Slice(src * size, rowBytes).CopyTo(yRow);
            }

            Strides.Next(index[..last], ys[..last]);
        }
    }
}
