using System.Numerics;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>GPTQ settings: damping (fraction of the mean Hessian diagonal), lazy block width, activation order.</summary>
public sealed record GptqOptions(double Dampening = 0.01, int BlockSize = 128, bool ActOrder = false);

/// <summary>
/// GPTQ (Frantar, Ashkboos, Hoefler, Alistarh 2022): quantise a layer one input column at a time; after each column,
/// spread its rounding error over the columns not yet quantised so as to minimise ‖WX − ŴX‖² (the OBS update with
/// the Cholesky factor of H⁻¹, H = XᵀX/n). Updates inside a block of columns are applied at once, the rest lazily.
/// </summary>
/// <remarks>
/// All arithmetic is float64 and single-threaded, so the result depends only on the inputs. With activation order and
/// groups, group scales come from the original weights ("static groups"): the stored layout needs groups of
/// consecutive columns, which a permuted order would break. Without activation order, a group's scale is found when
/// its first column is reached, from the weights as updated so far (as the paper does).
/// </remarks>
public static class Gptq
{
    /// <summary>Quantises <paramref name="w"/> (rows × cols) against the input second moment <paramref name="h"/> (cols × cols).</summary>
    /// <param name="w">The weights, row-major.</param>
    /// <param name="rows">Output units.</param>
    /// <param name="cols">Inputs.</param>
    /// <param name="h">XᵀX/n, row-major.</param>
    /// <param name="options">Bits, symmetry, groups.</param>
    /// <param name="gptq">Damping, block size, order.</param>
    /// <param name="outliers">Positions kept in fp16 (null: none); they take no rounding error.</param>
    /// <param name="fixedZeros">Pruned positions that stay exactly 0; their removal error is compensated like rounding error.</param>
    public static (QuantizedMatrix Matrix, float[] Decoded) Quantize(
        double[] w, int rows, int cols, double[] h, GridOptions options, GptqOptions gptq, bool[]? outliers, bool[]? fixedZeros)
    {
        var skip = RoundToNearest.Skip(outliers, fixedZeros);
        var result = new QuantizedMatrix(rows, cols, options);
        var dynamicGroups = !gptq.ActOrder && !result.Options.PerTensor && result.Options.GroupSize < cols;
        if (!dynamicGroups)
        {
            RoundToNearest.SetAllGrids(result, w, skip);
        }

        var perm = Order(h, cols, gptq.ActOrder);
        var work = new double[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            for (var i = 0; i < cols; i++)
            {
                // An input that is always zero carries no information: its weight is irrelevant, set it to 0.
                work[(r * cols) + i] = h[(perm[i] * cols) + perm[i]] == 0 ? 0 : w[(r * cols) + perm[i]];
            }
        }

        var u = InverseCholeskyUpper(h, cols, perm, gptq.Dampening);
        var decoded = new float[rows * cols];
        var block = Math.Max(1, gptq.BlockSize);
        var errors = new double[rows * block];
        for (var i1 = 0; i1 < cols; i1 += block)
        {
            var i2 = Math.Min(cols, i1 + block);
            for (var i = i1; i < i2; i++)
            {
                var c = perm[i];
                if (dynamicGroups && c % result.Options.GroupSize == 0)
                {
                    SetGroupGrids(result, work, c, skip);
                }

                var d = u[(i * cols) + i];
                for (var r = 0; r < rows; r++)
                {
                    var k = (r * cols) + c;
                    var value = work[(r * cols) + i];
                    var q = fixedZeros is not null && fixedZeros[k] ? result.Quantize(r, c, 0)
                        : outliers is not null && outliers[k] ? result.KeepOutlier(r, c, value)
                        : result.Quantize(r, c, value);
                    decoded[k] = q;
                    var err = (value - q) / d;
                    errors[(r * block) + i - i1] = err;
                    Axpy(work.AsSpan((r * cols) + i + 1, i2 - i - 1), u.AsSpan((i * cols) + i + 1, i2 - i - 1), -err);
                }
            }

            LazyUpdate(work, errors, u, rows, cols, block, i1, i2);
        }

        return (result, decoded);
    }

    // W[:, i2:] −= E · U[i1:i2, i2:], the deferred part of the block's updates.
    private static void LazyUpdate(double[] work, double[] errors, double[] u, int rows, int cols, int block, int i1, int i2)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = work.AsSpan((r * cols) + i2, cols - i2);
            for (var k = i1; k < i2; k++)
            {
                var e = errors[(r * block) + k - i1];
                if (e == 0)
                {
                    continue;
                }

                Axpy(row, u.AsSpan((k * cols) + i2, cols - i2), -e);
            }
        }
    }

    // Without act order the group's columns are work's columns (perm is the identity).
    private static void SetGroupGrids(QuantizedMatrix result, double[] work, int col, bool[]? skip)
    {
        for (var r = 0; r < result.Rows; r++)
        {
            result.SetGrid(r, col, UniformGrid.Find(work, result.GroupIndices(r, col), skip, result.Options));
        }
    }

    /// <summary>Column order: as stored, or by decreasing Hessian diagonal (ties by index).</summary>
    public static int[] Order(double[] h, int cols, bool actOrder)
    {
        var perm = Enumerable.Range(0, cols).ToArray();
        return actOrder ? perm.OrderByDescending(i => h[(i * cols) + i]).ThenBy(i => i).ToArray() : perm;
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
