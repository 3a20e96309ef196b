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
        var result = new QuantizedMatrix(rows, cols, options.Ternary ? options with { TernaryMinMax = true } : options);
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

        var u = HessianFactor.Shared(h, cols, gptq.ActOrder, gptq.Dampening); // one factor per H, order and dampening
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
                    HessianFactor.Axpy(work.AsSpan((r * cols) + i + 1, i2 - i - 1), u.AsSpan((i * cols) + i + 1, i2 - i - 1), -err);
                }
            }

            LazyUpdate(work, errors, u, rows, cols, block, i1, i2);
        }

        return (result, decoded);
    }

    /// <summary>Columns of W and U per chunk of <see cref="LazyUpdate"/>: 128 rows of U × 256 doubles = 256 KiB, half of L2.</summary>
    private const int Chunk = 256;

    // W[:, i2:] −= E · U[i1:i2, i2:], the deferred part of the block's updates. Column chunks outermost, so every row
    // reads the chunk of U's block rows from L2 instead of all of them (8 MB on a 8192-wide layer) from L3; each element
    // still takes the block's updates one k at a time in k order (the operations of one Axpy per k, so the same bits),
    // four k at a time with the element in a register.
    internal static void LazyUpdate(double[] work, double[] errors, double[] u, int rows, int cols, int block, int i1, int i2)
    {
        for (var c0 = i2; c0 < cols; c0 += Chunk)
        {
            var width = Math.Min(Chunk, cols - c0);
            for (var r = 0; r < rows; r++)
            {
                var row = work.AsSpan((r * cols) + c0, width);
                var e = errors.AsSpan(r * block, i2 - i1);
                var k = 0;
                for (; k + 4 <= e.Length; k += 4)
                {
                    var at = ((i1 + k) * cols) + c0;
                    if (e[k] != 0 && e[k + 1] != 0 && e[k + 2] != 0 && e[k + 3] != 0)
                    {
                        Axpy4(row, u, at, cols, -e[k], -e[k + 1], -e[k + 2], -e[k + 3]);
                        continue;
                    }

                    for (var j = 0; j < 4; j++)
                    {
                        if (e[k + j] != 0)
                        {
                            HessianFactor.Axpy(row, u.AsSpan(at + (j * cols), width), -e[k + j]);
                        }
                    }
                }

                for (; k < e.Length; k++)
                {
                    if (e[k] != 0)
                    {
                        HessianFactor.Axpy(row, u.AsSpan(((i1 + k) * cols) + c0, width), -e[k]);
                    }
                }
            }
        }
    }

    /// <summary>y = (((y + a0·x0) + a1·x1) + a2·x2) + a3·x3, xj = u[at + j·stride …]: four <see cref="HessianFactor.Axpy"/> in one pass.</summary>
    private static void Axpy4(Span<double> y, double[] u, int at, int stride, double a0, double a1, double a2, double a3)
    {
        var x0 = u.AsSpan(at, y.Length);
        var x1 = u.AsSpan(at + stride, y.Length);
        var x2 = u.AsSpan(at + (2 * stride), y.Length);
        var x3 = u.AsSpan(at + (3 * stride), y.Length);
        var i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<double>.Count)
        {
            var (v0, v1, v2, v3) = (new Vector<double>(a0), new Vector<double>(a1), new Vector<double>(a2), new Vector<double>(a3));
            for (; i <= y.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var v = new Vector<double>(y[i..]) + (v0 * new Vector<double>(x0[i..]));
                v += v1 * new Vector<double>(x1[i..]);
                v += v2 * new Vector<double>(x2[i..]);
                (v + (v3 * new Vector<double>(x3[i..]))).CopyTo(y[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            var v = y[i] + (a0 * x0[i]);
            v += a1 * x1[i];
            v += a2 * x2[i];
            y[i] = v + (a3 * x3[i]);
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
}
