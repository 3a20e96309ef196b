using System.Numerics;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// Row-major Cholesky factorisation and in-place lower-triangular inversion for GPTQ's inverse-Hessian factor,
/// four rows at a time: each row read from memory serves four rows kept in cache, which quarters the traffic that
/// bounds these loops once the matrix outgrows the caches (3136² float64 = 79 MB for mnist_cnn_fc128's fc1).
/// </summary>
/// <remarks>
/// Each element is computed by exactly the operations the one-row-at-a-time loops used (the same two-accumulator SIMD
/// dot product, the same element-wise y + a·x updates in the same order, no fused multiply-add), so the factor, and
/// every GPTQ result built on it, is bit-identical to theirs.
/// </remarks>
internal static class TriangularRows
{
    /// <summary>
    /// Overwrites the lower triangle of <paramref name="a"/> (n × n, row-major) with L, A = LLᵀ; the upper triangle is
    /// not read or written. False when a pivot is not positive (A is not positive definite). <paramref name="paired"/>:
    /// dot products sum in two vector accumulators (GPTQ's loop) or in one (SparseGPT's), so each keeps its bits.
    /// </summary>
    public static bool CholeskyInPlace(double[] a, int n, bool paired = true)
    {
        var i0 = 0;
        for (; i0 + 4 <= n; i0 += 4)
        {
            for (var j = 0; j < i0; j++)
            {
                var rowJ = a.AsSpan(j * n, j);
                ReadOnlySpan<double> x0 = a.AsSpan(i0 * n, j), x1 = a.AsSpan((i0 + 1) * n, j), x2 = a.AsSpan((i0 + 2) * n, j), x3 = a.AsSpan((i0 + 3) * n, j);
                var (d0, d1, d2, d3) = paired ? Dot4(x0, x1, x2, x3, rowJ) : Dot4Single(x0, x1, x2, x3, rowJ);
                var pivot = a[(j * n) + j];
                a[(i0 * n) + j] = (a[(i0 * n) + j] - d0) / pivot;
                a[((i0 + 1) * n) + j] = (a[((i0 + 1) * n) + j] - d1) / pivot;
                a[((i0 + 2) * n) + j] = (a[((i0 + 2) * n) + j] - d2) / pivot;
                a[((i0 + 3) * n) + j] = (a[((i0 + 3) * n) + j] - d3) / pivot;
            }

            for (var i = i0; i < i0 + 4; i++)
            {
                if (!FinishRow(a, n, i, i0, paired))
                {
                    return false;
                }
            }
        }

        for (var i = i0; i < n; i++)
        {
            if (!FinishRow(a, n, i, 0, paired))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Overwrites the lower triangle of <paramref name="l"/> (lower triangular, n × n) with L⁻¹; the upper triangle stays as it is.</summary>
    public static void InvertLowerInPlace(double[] l, int n)
    {
        // Row i of X = L⁻¹: X[i,:] = (eᵢ − Σₖ₍ₖ₍ᵢ₎ L[i,k]·X[k,:]) / L[i,i]. Rows are built in scratch and copied over
        // row i of L once finished: later rows read only X's rows above them and their own row of L.
        var scratch = new double[4 * n];
        var i0 = 0;
        for (; i0 + 4 <= n; i0 += 4)
        {
            Array.Clear(scratch);
            for (var q = 0; q < 4; q++)
            {
                scratch[(q * n) + i0 + q] = 1;
            }

            for (var k = 0; k < i0; k++)
            {
                var (f0, f1, f2, f3) = (l[(i0 * n) + k], l[((i0 + 1) * n) + k], l[((i0 + 2) * n) + k], l[((i0 + 3) * n) + k]);
                if (f0 == 0 && f1 == 0 && f2 == 0 && f3 == 0)
                {
                    continue;
                }

                // A zero factor adds (−0)·x = ±0 to finite values: no change, as when the row skipped it.
                Axpy4(scratch, n, l.AsSpan(k * n, k + 1), -f0, -f1, -f2, -f3);
            }

            for (var q = 0; q < 4; q++)
            {
                FinishInverseRow(l, n, i0 + q, i0, scratch.AsSpan(q * n, n));
            }
        }

        for (var i = i0; i < n; i++)
        {
            var row = scratch.AsSpan(0, n);
            row.Clear();
            row[i] = 1;
            FinishInverseRow(l, n, i, 0, row);
        }
    }

    // Columns from..i of row i, one at a time (the columns before from are done).
    private static bool FinishRow(double[] a, int n, int i, int from, bool paired)
    {
        var rowI = a.AsSpan(i * n, n);
        for (var j = from; j < i; j++)
        {
            var dot = paired ? Dot(rowI[..j], a.AsSpan(j * n, j)) : DotSingle(rowI[..j], a.AsSpan(j * n, j));
            rowI[j] = (rowI[j] - dot) / a[(j * n) + j];
        }

        var d = rowI[i] - (paired ? Dot(rowI[..i], rowI[..i]) : DotSingle(rowI[..i], rowI[..i]));
        if (!(d > 0))
        {
            return false;
        }

        rowI[i] = Math.Sqrt(d);
        return true;
    }

    // Adds the terms k = from..i−1 to row i of X (in row), divides by L[i,i] and stores it over row i of L.
    private static void FinishInverseRow(double[] l, int n, int i, int from, Span<double> row)
    {
        for (var k = from; k < i; k++)
        {
            var f = l[(i * n) + k];
            if (f != 0)
            {
                HessianFactor.Axpy(row[..(k + 1)], l.AsSpan(k * n, k + 1), -f);
            }
        }

        var d = l[(i * n) + i];
        for (var j = 0; j <= i; j++)
        {
            row[j] /= d;
        }

        row[..(i + 1)].CopyTo(l.AsSpan(i * n, i + 1));
    }

    /// <summary>Σ x·y with two vector accumulators, then the scalar tail: the one summation order every caller uses.</summary>
    internal static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var i = 0;
        var (s0, s1) = (Vector<double>.Zero, Vector<double>.Zero);
        var width = Vector<double>.Count;
        for (; i <= x.Length - (2 * width); i += 2 * width)
        {
            s0 += new Vector<double>(x[i..]) * new Vector<double>(y[i..]);
            s1 += new Vector<double>(x[(i + width)..]) * new Vector<double>(y[(i + width)..]);
        }

        var sum = Vector.Sum(s0 + s1);
        for (; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary>Σ x·y with one vector accumulator over whole vectors, then the scalar tail (SparseGPT's order).</summary>
    internal static double DotSingle(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var sum = 0.0;
        var i = 0;
        var width = Vector<double>.Count;
        if (Vector.IsHardwareAccelerated && x.Length >= width)
        {
            var acc = Vector<double>.Zero;
            for (; i <= x.Length - width; i += width)
            {
                acc += new Vector<double>(x[i..]) * new Vector<double>(y[i..]);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    // Four DotSingle(xq, y) at once, each summed exactly as DotSingle sums it.
    private static (double, double, double, double) Dot4Single(ReadOnlySpan<double> x0, ReadOnlySpan<double> x1, ReadOnlySpan<double> x2, ReadOnlySpan<double> x3, ReadOnlySpan<double> y)
    {
        var width = Vector<double>.Count;
        if (!Vector.IsHardwareAccelerated || y.Length < width)
        {
            return (DotSingle(x0, y), DotSingle(x1, y), DotSingle(x2, y), DotSingle(x3, y));
        }

        var i = 0;
        var (a, b, c, d) = (Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero);
        for (; i <= y.Length - width; i += width)
        {
            var vy = new Vector<double>(y[i..]);
            a += new Vector<double>(x0[i..]) * vy;
            b += new Vector<double>(x1[i..]) * vy;
            c += new Vector<double>(x2[i..]) * vy;
            d += new Vector<double>(x3[i..]) * vy;
        }

        var (s0, s1, s2, s3) = (Vector.Sum(a), Vector.Sum(b), Vector.Sum(c), Vector.Sum(d));
        for (; i < y.Length; i++)
        {
            s0 += x0[i] * y[i];
            s1 += x1[i] * y[i];
            s2 += x2[i] * y[i];
            s3 += x3[i] * y[i];
        }

        return (s0, s1, s2, s3);
    }

    // Four Dot(xq, y) at once, each summed exactly as Dot sums it; y is loaded once for all four.
    private static (double, double, double, double) Dot4(ReadOnlySpan<double> x0, ReadOnlySpan<double> x1, ReadOnlySpan<double> x2, ReadOnlySpan<double> x3, ReadOnlySpan<double> y)
    {
        var i = 0;
        var width = Vector<double>.Count;
        var (a0, a1, b0, b1) = (Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero);
        var (c0, c1, e0, e1) = (Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero, Vector<double>.Zero);
        for (; i <= y.Length - (2 * width); i += 2 * width)
        {
            var y0 = new Vector<double>(y[i..]);
            var y1 = new Vector<double>(y[(i + width)..]);
            a0 += new Vector<double>(x0[i..]) * y0;
            a1 += new Vector<double>(x0[(i + width)..]) * y1;
            b0 += new Vector<double>(x1[i..]) * y0;
            b1 += new Vector<double>(x1[(i + width)..]) * y1;
            c0 += new Vector<double>(x2[i..]) * y0;
            c1 += new Vector<double>(x2[(i + width)..]) * y1;
            e0 += new Vector<double>(x3[i..]) * y0;
            e1 += new Vector<double>(x3[(i + width)..]) * y1;
        }

        var (s0, s1, s2, s3) = (Vector.Sum(a0 + a1), Vector.Sum(b0 + b1), Vector.Sum(c0 + c1), Vector.Sum(e0 + e1));
        for (; i < y.Length; i++)
        {
            s0 += x0[i] * y[i];
            s1 += x1[i] * y[i];
            s2 += x2[i] * y[i];
            s3 += x3[i] * y[i];
        }

        return (s0, s1, s2, s3);
    }

    // scratch row q (length n, from 0) += a_q · x for q = 0..3, element-wise as HessianFactor.Axpy does it.
    private static void Axpy4(double[] scratch, int n, ReadOnlySpan<double> x, double a0, double a1, double a2, double a3)
    {
        var y0 = scratch.AsSpan(0, x.Length);
        var y1 = scratch.AsSpan(n, x.Length);
        var y2 = scratch.AsSpan(2 * n, x.Length);
        var y3 = scratch.AsSpan(3 * n, x.Length);
        var i = 0;
        var width = Vector<double>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var (v0, v1, v2, v3) = (new Vector<double>(a0), new Vector<double>(a1), new Vector<double>(a2), new Vector<double>(a3));
            for (; i <= x.Length - width; i += width)
            {
                var vx = new Vector<double>(x[i..]);
                (new Vector<double>(y0[i..]) + (v0 * vx)).CopyTo(y0[i..]);
                (new Vector<double>(y1[i..]) + (v1 * vx)).CopyTo(y1[i..]);
                (new Vector<double>(y2[i..]) + (v2 * vx)).CopyTo(y2[i..]);
                (new Vector<double>(y3[i..]) + (v3 * vx)).CopyTo(y3[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            y0[i] += a0 * x[i];
            y1[i] += a1 * x[i];
            y2[i] += a2 * x[i];
            y3[i] += a3 * x[i];
        }
    }
}
