
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

                HessianFactor.Axpy(row, u.AsSpan((k * cols) + i2, cols - i2), -e);
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
}
