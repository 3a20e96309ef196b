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
    public static void MultiplyAdd(float[] a, int rows, int inner, float[] x, int width, float[] c)
    {
        var v = Vector<float>.Count;
        var r = 0;
        for (; r + 4 <= rows; r += 4)
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

        for (; r < rows; r++)
        {
            for (var col = 0; col < width; col++)
            {
                Scalar(a, r, inner, x, width, c, col);
            }
        }
    }

    private static void Block(float[] a, int r, int inner, float[] x, int width, float[] c, int col)
    {
        var v = Vector<float>.Count;
        var (c0, c1, c2, c3) = (r * width, (r + 1) * width, (r + 2) * width, (r + 3) * width);
        var (s00, s01) = (new Vector<float>(c, c0 + col), new Vector<float>(c, c0 + col + v));
        var (s10, s11) = (new Vector<float>(c, c1 + col), new Vector<float>(c, c1 + col + v));
        var (s20, s21) = (new Vector<float>(c, c2 + col), new Vector<float>(c, c2 + col + v));
        var (s30, s31) = (new Vector<float>(c, c3 + col), new Vector<float>(c, c3 + col + v));
        var (a0, a1, a2, a3) = (r * inner, (r + 1) * inner, (r + 2) * inner, (r + 3) * inner);
        for (var t = 0; t < inner; t++)
        {
            var x0 = new Vector<float>(x, (t * width) + col);
            var x1 = new Vector<float>(x, (t * width) + col + v);
            var b0 = new Vector<float>(a[a0 + t]);
            var b1 = new Vector<float>(a[a1 + t]);
            var b2 = new Vector<float>(a[a2 + t]);
            var b3 = new Vector<float>(a[a3 + t]);
            s00 += b0 * x0;
            s01 += b0 * x1;
            s10 += b1 * x0;
            s11 += b1 * x1;
            s20 += b2 * x0;
            s21 += b2 * x1;
            s30 += b3 * x0;
            s31 += b3 * x1;
        }

        s00.CopyTo(c, c0 + col);
        s01.CopyTo(c, c0 + col + v);
        s10.CopyTo(c, c1 + col);
        s11.CopyTo(c, c1 + col + v);
        s20.CopyTo(c, c2 + col);
        s21.CopyTo(c, c2 + col + v);
        s30.CopyTo(c, c3 + col);
        s31.CopyTo(c, c3 + col + v);
    }

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
