using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Tile (opset 6+), any element type: output dim d = <c>x[d]·repeats[d]</c>, <c>y[i] = x[i mod x.shape]</c>.
/// Repeats are a constant list or an int64 value computed per call.
/// </summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output.</param>
/// <param name="Repeats">Constant repeats, one per dim (used when <paramref name="RepeatsValue"/> is -1).</param>
/// <param name="RepeatsValue">Value id of the computed repeats, or -1.</param>
public sealed record TileOp(int X, int Y, long[] Repeats, int RepeatsValue) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => RepeatsValue < 0 && Repeats.Length > 0 && Repeats[0] == 1 && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var repeats = Strides.Operand(c, RepeatsValue, Repeats);
        var rank = xs.Length;
        if (repeats.Length != rank || rank > ShapeMath.MaxRank)
        {
            throw Fail($"{repeats.Length} repeats for the input {ShapeMath.Format(xs)}.");
        }

        Span<int> ys = stackalloc int[rank];
        for (var d = 0; d < rank; d++)
        {
            var n = repeats[d] * xs[d];
            ys[d] = repeats[d] >= 0 && n <= int.MaxValue ? (int)n : throw Fail($"repeat {repeats[d]} on axis {d} of the input {ShapeMath.Format(xs)}.");
        }

        var size = c.ElementSize(X);
        var y = c.OutputBytes(Y, ys);
        var x = c.Bytes(X);
        if (y.Length == 0)
        {
            return;
        }

        if (rank == 0)
        {
            x.CopyTo(y);
            return;
        }

        // Each output row (all dims but the last) is one input row repeated along the last axis.
        Span<int> strides = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        Strides.Of(xs, strides);
        index.Clear();
        var last = rank - 1;
        var rowBytes = xs[last] * size;
        var rows = ShapeMath.Product(ys[..last]);
        var o = 0;
        for (var r = 0; r < rows; r++)
        {
            var src = 0;
            for (var d = 0; d < last; d++)
            {
                src += index[d] % xs[d] * strides[d];
            }

            var xRow = x.Slice(src * size, rowBytes);
            for (var k = 0; k < repeats[last]; k++)
            {
                xRow.CopyTo(y[o..]);
                o += rowBytes;
            }

            Strides.Next(index[..last], ys[..last]);
        }
    }
}
