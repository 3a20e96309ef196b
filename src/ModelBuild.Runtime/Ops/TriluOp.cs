using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Trilu: keeps the upper (<c>j − i ≥ k</c>) or lower (<c>j − i ≤ k</c>) triangle of each matrix in the last two
/// dims and zeroes the rest; leading dims are a batch. Float32, int64 or bool.
/// </summary>
/// <param name="X">Input, rank ≥ 2: <c>[…, N, M]</c>.</param>
/// <param name="K">The diagonal offset, an int64 scalar (positive = above the main diagonal); -1 for 0.</param>
/// <param name="Y">Output, the input's shape and type.</param>
/// <param name="Upper">Keep the upper triangle (ONNX upper = 1) or the lower one.</param>
public sealed record TriluOp(int X, int K, int Y, bool Upper) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (xs.Length < 2)
        {
            throw Fail($"the input has rank {xs.Length}; Trilu needs at least 2.");
        }

        long k = 0;
        if (K >= 0)
        {
            var kv = c.Longs(K);
            k = kv.Length == 1 ? kv[0] : throw Fail($"k has {kv.Length} values; it must be a scalar.");
        }

        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        int rows = shape[^2], cols = shape[^1];
        switch (c.TypeOf(Y))
        {
            case TensorType.Float32:
                Keep(c.Floats(X), c.OutputFloats(Y, shape), rows, cols, k);
                break;
            case TensorType.Int64:
                Keep(c.Longs(X), c.OutputLongs(Y, shape), rows, cols, k);
                break;
            default:
                Keep(c.Bools(X), c.OutputBools(Y, shape), rows, cols, k);
                break;
        }
    }

    private void Keep<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int cols, long k)
    {
        var matrix = rows * cols;
        for (var offset = 0; offset < y.Length; offset += matrix)
        {
            for (var i = 0; i < rows; i++)
            {
                // Row i keeps columns [i + k, cols) (upper) or [0, i + k] (lower); clamp that boundary to the row.
                var boundary = (int)Math.Clamp(i + k + (Upper ? 0 : 1), 0, cols);
                var row = offset + (i * cols);
                var source = x.Slice(row, cols);
                var target = y.Slice(row, cols);
                if (Upper)
                {
                    target[..boundary].Clear();
                    source[boundary..].CopyTo(target[boundary..]);
                }
                else
                {
                    source[..boundary].CopyTo(target);
                    target[boundary..].Clear();
                }
            }
        }
    }
}
