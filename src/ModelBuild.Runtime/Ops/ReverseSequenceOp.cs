using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX ReverseSequence, any element type: for each batch entry b, the first <c>sequence_lens[b]</c> steps along the
/// time axis are reversed and the rest copied. Batch and time axes are 0 and 1 in either order.
/// </summary>
/// <param name="X">Input, rank ≥ 2.</param>
/// <param name="SequenceLens">int64 lengths, one per batch entry.</param>
/// <param name="Y">Output, X's shape.</param>
/// <param name="BatchAxis">0 or 1.</param>
/// <param name="TimeAxis">1 or 0 (the other one).</param>
public sealed record ReverseSequenceOp(int X, int SequenceLens, int Y, int BatchAxis, int TimeAxis) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var lens = c.Longs(SequenceLens);
        if (xs.Length < 2 || BatchAxis + TimeAxis != 1 || (BatchAxis != 0 && BatchAxis != 1) || lens.Length != xs[BatchAxis])
        {
            throw Fail($"batch axis {BatchAxis}, time axis {TimeAxis}, input {ShapeMath.Format(xs)} and {lens.Length} lengths do not fit.");
        }

        var size = c.ElementSize(X);
        var y = c.OutputBytes(Y, xs);
        var x = c.Bytes(X);
        var inner = ShapeMath.Product(xs[2..]) * size;
        var batches = xs[BatchAxis];
        var steps = xs[TimeAxis];

        // Element (batch b, time t) starts at (b·bStride + t·tStride) inner blocks.
        var bStride = BatchAxis == 0 ? steps : 1;
        var tStride = TimeAxis == 0 ? batches : 1;
        for (var b = 0; b < batches; b++)
        {
            var len = lens[b];
            if (len < 0 || len > steps)
            {
                throw Fail($"sequence length {len} of batch entry {b} is outside [0, {steps}].");
            }

            for (var t = 0; t < steps; t++)
            {
                var from = t < len ? (int)len - 1 - t : t;
                x.Slice(((b * bStride) + (from * tStride)) * inner, inner).CopyTo(y.Slice(((b * bStride) + (t * tStride)) * inner, inner));
            }
        }
    }
}
