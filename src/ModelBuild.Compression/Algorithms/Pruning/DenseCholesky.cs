using System.Numerics;
using System.Runtime.InteropServices;

namespace ModelBuild.Compression.Algorithms.Pruning;

/// <summary>
/// Cholesky factorisation and triangular inversion on row-major float64 arrays, with SIMD dot products and row
/// updates. SparseGPT needs the inverse Hessian's factor for inputs of several thousand features; MathNet's
/// general solve against the identity costs about six times more arithmetic than the triangular inverse.
/// </summary>
internal static class DenseCholesky
{
    /// <summary>Overwrites the lower triangle of <paramref name="a"/> (n × n, symmetric positive definite) with L, A = LLᵀ; clears the upper.</summary>
    public static void FactorInPlace(double[] a, int n)
    {
        for (var i = 0; i < n; i++)
        {
            var rowI = a.AsSpan(i * n, n);
            for (var j = 0; j <= i; j++)
            {
                var rowJ = a.AsSpan(j * n, j);
                var sum = rowI[j] - Dot(rowI[..j], rowJ);
                if (i == j)
                {
                    if (!(sum > 0))
                    {
                        throw new InvalidOperationException($"The matrix is not positive definite (pivot {i} is {sum}).");
                    }

                    rowI[i] = Math.Sqrt(sum);
                }
                else
                {
                    rowI[j] = sum / a[(j * n) + j];
                }
            }

            rowI[(i + 1)..].Clear();
        }
    }

    /// <summary>The inverse of the lower triangular <paramref name="l"/> (n × n), itself lower triangular.</summary>
    public static double[] InvertLower(double[] l, int n)
    {
        // Row i of X = L⁻¹ solves Σₖ L[i,k]·X[k,:] = eᵢ: X[i,:] = (eᵢ − Σₖ₍ₖ₍ᵢ₎ L[i,k]·X[k,:]) / L[i,i].
        var x = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            var rowX = x.AsSpan(i * n, i + 1);
            rowX[i] = 1;
            for (var k = 0; k < i; k++)
            {
                var factor = l[(i * n) + k];
                if (factor != 0)
                {
                    Axpy(-factor, x.AsSpan(k * n, k + 1), rowX);
                }
            }

            var pivot = l[(i * n) + i];
            for (var j = 0; j <= i; j++)
            {
                rowX[j] /= pivot;
            }
        }

        return x;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b[..a.Length]);
            var acc = Vector<double>.Zero;
            for (var k = 0; k < va.Length; k++)
            {
                acc += va[k] * vb[k];
            }

            sum = Vector.Sum(acc);
            i = va.Length * Vector<double>.Count;
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static void Axpy(double factor, ReadOnlySpan<double> x, Span<double> y)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y[..x.Length]);
            var f = new Vector<double>(factor);
            for (var k = 0; k < vx.Length; k++)
            {
                vy[k] += f * vx[k];
            }

            i = vx.Length * Vector<double>.Count;
        }

        for (; i < x.Length; i++)
        {
            y[i] += factor * x[i];
        }
    }
}
