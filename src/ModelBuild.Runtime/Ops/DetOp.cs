using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Det: the determinant of each square matrix in <c>x[…, M, M]</c>, giving <c>y[…]</c>. LU decomposition with
/// partial pivoting in float64 (each pivot the largest magnitude in its column; a row swap flips the sign), so the
/// result is the product of the pivots. A zero pivot column gives 0. An empty matrix (M = 0) has determinant 1.
/// </summary>
/// <param name="X">Input, float32, rank ≥ 2 with equal last two dims.</param>
/// <param name="Y">Output, float32, <c>x</c>'s shape without the last two dims.</param>
public sealed record DetOp(int X, int Y) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (xs.Length < 2 || xs[^1] != xs[^2])
        {
            throw Fail($"the input {ShapeMath.Format(xs)} must be a batch of square matrices.");
        }

        var m = xs[^1];
        var y = c.OutputFloats(Y, xs[..^2]);
        var x = c.Floats(X);
        var lu = MemoryMarshal.Cast<float, double>(c.Scratch(2 * Math.Max(1, m * m)))[..(m * m)];
        for (var b = 0; b < y.Length; b++)
        {
            var matrix = x.Slice(b * m * m, m * m);
            for (var i = 0; i < lu.Length; i++)
            {
                lu[i] = matrix[i];
            }

            y[b] = (float)Determinant(lu, m);
        }
    }

    /// <summary>Gaussian elimination with partial pivoting on the row-major <paramref name="a"/> (overwritten).</summary>
    internal static double Determinant(Span<double> a, int m)
    {
        var det = 1.0;
        for (var col = 0; col < m; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < m; r++)
            {
                if (Math.Abs(a[(r * m) + col]) > Math.Abs(a[(pivot * m) + col]))
                {
                    pivot = r;
                }
            }

            var p = a[(pivot * m) + col];
            if (p == 0)
            {
                return 0;
            }

            if (pivot != col)
            {
                SwapRows(a, pivot, col, m);
                det = -det;
            }

            det *= p;
            for (var r = col + 1; r < m; r++)
            {
                var f = a[(r * m) + col] / p;
                for (var k = col + 1; k < m; k++)
                {
                    a[(r * m) + k] -= f * a[(col * m) + k];
                }
            }
        }

        return det;
    }

    private static void SwapRows(Span<double> a, int r1, int r2, int m)
    {
        for (var k = 0; k < m; k++)
        {
            (a[(r1 * m) + k], a[(r2 * m) + k]) = (a[(r2 * m) + k], a[(r1 * m) + k]);
        }
    }
}
