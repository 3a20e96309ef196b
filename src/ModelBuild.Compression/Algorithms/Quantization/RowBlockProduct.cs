using System.Numerics;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// C += A·X for small dense float matrices (A rows × inner, X inner × width, C rows × width, all row-major), four
/// rows and two vectors of columns at a time so each loaded row of X serves four rows of A from registers.
/// </summary>
/// <remarks>
/// Every element is summed the same way on every path: start from C's value, then add A[r,t]·X[t,c] for t ascending,
/// multiply and add rounded separately (no fused multiply-add). The SIMD width therefore never changes a result,
/// and AdaRound's rounding choices are the same on every x64 machine.
/// </remarks>
internal static class RowBlockProduct
{
    /// <summary>Products at least this large (multiply-adds) are split over threads by blocks of rows.</summary>
    public const long ParallelWork = 1L << 22;

    private const int RowsPerTask = 32; // a multiple of 4, so every row falls in the same 4-row block as serially

    public static void MultiplyAdd(float[] a, int rows, int inner, float[] x, int width, float[] c)
    {
        // Rows are independent and each element is summed the same way on any thread, so splitting the rows over
        // threads (AdaRound's two products per step, rows·cols·k each: issue 13) changes no bit of the result.
        if ((long)rows * inner * width < ParallelWork || rows <= RowsPerTask)
        {
            Rows(a, 0, rows, inner, x, width, c);
            return;
        }

        Parallel.For(0, (rows + RowsPerTask - 1) / RowsPerTask, t => Rows(a, t * RowsPerTask, Math.Min(rows, (t + 1) * RowsPerTask), inner, x, width, c));
    }

    private static void Rows(float[] a, int from, int to, int inner, float[] x, int width, float[] c)
    {
        var v = Vector<float>.Count;
        var r = from;
        for (; r + 4 <= to; r += 4)
        {
            var col = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; col + (2 * v) <= width; col += 2 * v)
                {
                    Block(a, r, inner, x, width, c, col);
                }
            }

            for (; col < width; col++)
            {
                for (var i = r; i < r + 4; i++)
                {
                    Scalar(a, i, inner, x, width, c, col);
                }
            }
        }

        for (; r < to; r++)
        {
            for (var col = 0; col < width; col++)
            {
                Scalar(a, r, inner, x, width, c, col);
            }
        }
    }

    private static void Block(float[] a, int r, int inner, float[] x, int width, float[] c, int col) =>
        VectorTile.FourByTwo(a, r * inner, inner, x, col, width, inner, c, (r * width) + col, width, accumulate: true);

    private static void Scalar(float[] a, int r, int inner, float[] x, int width, float[] c, int col)
    {
        var sum = c[(r * width) + col];
        for (var t = 0; t < inner; t++)
        {
            var product = a[(r * inner) + t] * x[(t * width) + col];
            sum += product;
        }

        c[(r * width) + col] = sum;
    }
}
