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

    private static void Tile(double[] a, int n, double[] b, int k, double[] c, int r, int col)
    {
        var v = Vector<double>.Count;
        var (s00, s01, s10, s11) = (Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero);
        var (s20, s21, s30, s31) = (Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero);
        var (a0, a1, a2, a3) = (r * n, (r + 1) * n, (r + 2) * n, (r + 3) * n);
        for (var t = 0; t < n; t++)
        {
            var x0 = new Vector<double>(b, (t * k) + col);
            var x1 = new Vector<double>(b, (t * k) + col + v);
            var y0 = new Vector<double>(a[a0 + t]);
            var y1 = new Vector<double>(a[a1 + t]);
            var y2 = new Vector<double>(a[a2 + t]);
            var y3 = new Vector<double>(a[a3 + t]);
            s00 += y0 * x0;
            s01 += y0 * x1;
            s10 += y1 * x0;
            s11 += y1 * x1;
            s20 += y2 * x0;
            s21 += y2 * x1;
            s30 += y3 * x0;
            s31 += y3 * x1;
        }

        s00.CopyTo(c, (r * k) + col);
        s01.CopyTo(c, (r * k) + col + v);
        s10.CopyTo(c, ((r + 1) * k) + col);
        s11.CopyTo(c, ((r + 1) * k) + col + v);
        s20.CopyTo(c, ((r + 2) * k) + col);
        s21.CopyTo(c, ((r + 2) * k) + col + v);
        s30.CopyTo(c, ((r + 3) * k) + col);
        s31.CopyTo(c, ((r + 3) * k) + col + v);
    }

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
