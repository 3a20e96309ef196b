using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX GatherND (opset 12 batch_dims), any element type. With <c>b = batch_dims</c>, <c>q</c> = rank of indices and
/// <c>k = indices.shape[−1]</c>: the output has shape <c>indices.shape[..q−1] + x.shape[b+k..]</c>, and each index
/// tuple <c>indices[j…]</c> selects the slice <c>x[batch(j), i₁, …, i_k, …]</c>. Negative indices count from the end.
/// </summary>
/// <param name="X">Data.</param>
/// <param name="Indices">int64 indices.</param>
/// <param name="Y">Output.</param>
/// <param name="BatchDims">Number of leading batch dims shared by data and indices.</param>
public sealed record GatherNDOp(int X, int Indices, int Y, int BatchDims) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var ids = c.Shape(Indices);
        var b = BatchDims;
        var q = ids.Length;
        if (q < 1 || b < 0 || b >= q || b >= xs.Length)
        {
            throw Fail($"batch_dims {b} does not fit data {ShapeMath.Format(xs)} and indices {ShapeMath.Format(ids)}.");
        }

        var k = ids[q - 1];
        if (b + k > xs.Length)
        {
            throw Fail($"index tuples of length {k} exceed the data {ShapeMath.Format(xs)} after {b} batch dims.");
        }

        for (var d = 0; d < b; d++)
        {
            if (xs[d] != ids[d])
            {
                throw Fail($"the batch dims of data {ShapeMath.Format(xs)} and indices {ShapeMath.Format(ids)} differ.");
            }
        }

        var rank = q - 1 + xs.Length - b - k;
        if (rank > ShapeMath.MaxRank)
        {
            throw Fail($"the output rank {rank} exceeds {ShapeMath.MaxRank}.");
        }

        Span<int> ys = stackalloc int[rank];
        ids[..(q - 1)].CopyTo(ys);
        xs[(b + k)..].CopyTo(ys[(q - 1)..]);
        Span<int> strides = stackalloc int[xs.Length];
        Strides.Of(xs, strides);
        var size = c.ElementSize(X);
        var y = c.OutputBytes(Y, ys);
        var x = c.Bytes(X);
        var indices = c.Longs(Indices);
        var slice = ShapeMath.Product(xs[(b + k)..]) * size;
        var batches = ShapeMath.Product(ids[..b]);
        var tuplesPerBatch = ShapeMath.Product(ids[b..(q - 1)]);
        var batchStride = b == 0 ? 0 : strides[b - 1];
        var o = 0;
        for (var batch = 0; batch < batches; batch++)
        {
            for (var t = 0; t < tuplesPerBatch; t++)
            {
                var tuple = indices.Slice(((batch * tuplesPerBatch) + t) * k, k);
                var src = batch * batchStride;
                for (var j = 0; j < k; j++)
                {
                    var n = xs[b + j];
                    var i = tuple[j] < 0 ? tuple[j] + n : tuple[j];
                    if ((ulong)i >= (ulong)n)
                    {
                        throw Fail($"index {tuple[j]} is outside axis {b + j} of size {n}.");
                    }

                    src += (int)i * strides[b + j];
                }

                x.Slice(src * size, slice).CopyTo(y.Slice(o, slice));
                o += slice;
            }
        }
    }
}
