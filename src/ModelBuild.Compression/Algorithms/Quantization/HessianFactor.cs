using System.Numerics;
using System.Runtime.CompilerServices;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>The factor of the inverse Hessian GPTQ walks along, and the SIMD loops it needs.</summary>
public static class HessianFactor
{
    // Factors by Hessian array, then by (activation order, dampening): auto quantises one layer at many settings with
    // the same H, and the factor (n³/3 multiply-adds, seconds for a 3136-input layer) is the same for all of them. An
    // entry lives as long as its H array does; H arrays are never changed after they are built.
    private static readonly ConditionalWeakTable<double[], Dictionary<(bool ActOrder, double Dampening), double[]>> s_factors = new();

    /// <summary>
    /// <see cref="InverseCholeskyUpper"/> of <paramref name="h"/> in <see cref="Gptq.Order"/>'s column order, computed
    /// once per H array, order and dampening and shared by every later call (the result must not be modified).
    /// </summary>
    /// <param name="h">XᵀX/n (cols × cols, row-major), not modified afterwards.</param>
    /// <param name="cols">Inputs.</param>
    /// <param name="actOrder">Columns by decreasing H diagonal (GPTQ's activation order) instead of as stored.</param>
    /// <param name="dampening">λ as a fraction of the mean diagonal.</param>
    public static double[] Shared(double[] h, int cols, bool actOrder, double dampening)
    {
        ArgumentNullException.ThrowIfNull(h);
        var byKey = s_factors.GetValue(h, _ => new());
        lock (byKey)
        {
            if (!byKey.TryGetValue((actOrder, dampening), out var u))
            {
                u = InverseCholeskyUpper(h, cols, Gptq.Order(h, cols, actOrder), dampening);
                byKey[(actOrder, dampening)] = u;
            }

            return u;
        }
    }

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
        var m = new double[cols * cols];
        for (var attempt = 0; ; attempt++)
        {
            // Row a of the reversed matrix is permuted row cols − 1 − a; above the diagonal it stays 0.
            Array.Clear(m);
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

            // m = L⁻¹ in place, then U[i,j] = L⁻¹[n−1−i, n−1−j] is m turned by 180°: one n × n array in all (issue 13).
            TriangularRows.InvertLowerInPlace(m, cols);
            Array.Reverse(m);
            return m;
        }
    }

    // Lower Cholesky factor over the lower triangle of a (row-major): L[i,j] = (A[i,j] − L[i,:j]·L[j,:j]) / L[j,j].
    private static bool CholeskyInPlace(double[] a, int n) => TriangularRows.CholeskyInPlace(a, n);

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
