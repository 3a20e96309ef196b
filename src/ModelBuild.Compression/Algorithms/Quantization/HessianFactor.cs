using System.Numerics;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>The factor of the inverse Hessian GPTQ walks along, and the SIMD loops it needs.</summary>
public static class HessianFactor
{
    /// <summary>
    /// The upper-triangular U with UᵀU = (H + λI)⁻¹ in the permuted order, row-major; λ = dampening · mean diagonal.
    /// Zero diagonal entries (dead inputs) become 1. If H is still not positive definite, λ grows tenfold.
    /// </summary>
    /// <remarks>
    /// Rather than inverting H and factoring the inverse (about 2.3 n³ flops), this factors the order-reversed
    /// matrix, JHJ = LLᵀ, so that H = ŨŨᵀ with Ũ = JLJ upper; then H⁻¹ = Ũ⁻ᵀŨ⁻¹ and U = Ũ⁻¹ = J L⁻¹ J, which is
    /// upper with a positive diagonal and so is the Cholesky factor of H⁻¹. One Cholesky and one triangular
    /// inverse, both row-major with SIMD inner loops: about n³/3 multiply-adds, which matters for a 3136-input
    /// layer (MathNet's managed Cholesky plus inverse took over 40 s there; this takes a few).
    /// </remarks>
    public static double[] InverseCholeskyUpper(double[] h, int cols, int[] perm, double dampening)
    {
        var diagonalMean = Enumerable.Range(0, cols).Average(i => h[(i * cols) + i]);
        var damp = dampening * (diagonalMean > 0 ? diagonalMean : 1);
        for (var attempt = 0; ; attempt++)
        {
            // Row a of the reversed matrix is permuted row cols − 1 − a.
            var m = new double[cols * cols];
            for (var a = 0; a < cols; a++)
            {
                var source = perm[cols - 1 - a] * cols;
                for (var b = 0; b <= a; b++)
                {
                    m[(a * cols) + b] = h[source + perm[cols - 1 - b]];
                }

                m[(a * cols) + a] = (m[(a * cols) + a] == 0 ? 1 : m[(a * cols) + a]) + damp;
            }

            if (!CholeskyInPlace(m, cols))
            {
                damp = attempt < 6 ? damp * 10
                    : throw new InvalidOperationException($"The Hessian stays indefinite even with damping {damp}; it has non-finite entries.");
                continue;
            }

            var lower = InvertLower(m, cols);
            var u = new double[cols * cols];
            for (var i = 0; i < cols; i++)
            {
                for (var j = i; j < cols; j++)
                {
                    u[(i * cols) + j] = lower[((cols - 1 - i) * cols) + cols - 1 - j];
                }
            }

            return u;
        }
    }

    // Lower Cholesky factor over the lower triangle of a (row-major): L[i,j] = (A[i,j] − L[i,:j]·L[j,:j]) / L[j,j].
    private static bool CholeskyInPlace(double[] a, int n)
    {
        for (var i = 0; i < n; i++)
        {
            var rowI = a.AsSpan(i * n, n);
            for (var j = 0; j < i; j++)
            {
                rowI[j] = (rowI[j] - Dot(rowI[..j], a.AsSpan(j * n, j))) / a[(j * n) + j];
            }

            var d = rowI[i] - Dot(rowI[..i], rowI[..i]);
            if (!(d > 0))
            {
                return false;
            }

            rowI[i] = Math.Sqrt(d);
        }

        return true;
    }

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
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

    // X = L⁻¹ row by row: X[i,:] = (eᵢ − Σ_{k<i} L[i,k] X[k,:]) / L[i,i]; only X[k, 0..k] is non-zero.
    private static double[] InvertLower(double[] l, int n)
    {
        var x = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            var row = x.AsSpan(i * n, i + 1);
            row[i] = 1;
            for (var k = 0; k < i; k++)
            {
                var f = l[(i * n) + k];
                if (f != 0)
                {
                    Axpy(row[..(k + 1)], x.AsSpan(k * n, k + 1), -f);
                }
            }

            var d = l[(i * n) + i];
            for (var j = 0; j <= i; j++)
            {
                row[j] /= d;
            }
        }

        return x;
    }

    /// <summary>y += a · x (SIMD).</summary>
    internal static void Axpy(Span<double> y, ReadOnlySpan<double> x, double a)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<double>.Count)
        {
            var va = new Vector<double>(a);
            for (; i <= y.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                (new Vector<double>(y[i..]) + (va * new Vector<double>(x[i..]))).CopyTo(y[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            y[i] += a * x[i];
        }
    }
}
