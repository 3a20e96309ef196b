using System.Numerics;
using DenseMatrix = MathNet.Numerics.LinearAlgebra.Matrix<double>;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// A·B for a square float64 matrix A (n × n, row-major array) and a tall B (n × k, a MathNet matrix): the products of
/// <see cref="HessianSketch"/>'s subspace iteration, which MathNet's managed provider ran at about 1 GFLOP/s on a
/// 3136-input layer (issue 13: half of AdaRound's time on mnist_cnn_fc128's fc1 went there).
/// </summary>
/// <remarks>
/// Four rows of A by two vectors of B's columns at a time, the k-sum in registers. Every element is summed the same
/// way on every path (t ascending from 0, multiply and add rounded separately, no fused multiply-add), so the SIMD
/// width never changes a result.
/// </remarks>
internal static class SquareTimesTall
{
    public static DenseMatrix Multiply(double[] a, int n, DenseMatrix b)
    {
        var k = b.ColumnCount;
        var right = b.ToRowMajorArray(); // n × k
        var c = new double[n * k];
        // Rows are independent and summed the same way on any thread: blocks of rows go to threads, bits unchanged.
        const int rowsPerTask = 32;
        Parallel.For(0, (n + rowsPerTask - 1) / rowsPerTask, task => Rows(a, n, right, k, c, task * rowsPerTask, Math.Min(n, (task + 1) * rowsPerTask)));
        return DenseMatrix.Build.DenseOfRowMajor(n, k, c);
    }

    private static void Rows(double[] a, int n, double[] right, int k, double[] c, int from, int to)
    {
        var v = Vector<double>.Count;
        var r = from;
        for (; r + 4 <= to; r += 4)
        {
            var col = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; col + (2 * v) <= k; col += 2 * v)
                {
                    Tile(a, n, right, k, c, r, col);
                }
            }

            for (; col < k; col++)
            {
                for (var i = r; i < r + 4; i++)
                {
                    c[(i * k) + col] = Scalar(a, n, right, k, i, col);
                }
            }
        }

        for (; r < to; r++)
        {
            for (var col = 0; col < k; col++)
            {
                c[(r * k) + col] = Scalar(a, n, right, k, r, col);
            }
        }
    }

    private static void Tile(double[] a, int n, double[] b, int k, double[] c, int r, int col) =>
        VectorTile.FourByTwo(a, r * n, n, b, col, k, n, c, (r * k) + col, k, accumulate: false);

    private static double Scalar(double[] a, int n, double[] b, int k, int r, int col)
    {
        var sum = 0.0;
        for (var t = 0; t < n; t++)
        {
            var product = a[(r * n) + t] * b[(t * k) + col];
            sum += product;
        }

        return sum;
    }
}
