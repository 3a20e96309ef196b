using ModelBuild.Compression.Algorithms.Quantization;

namespace ModelBuild.Compression.Algorithms.Pruning;

/// <summary>
/// SparseGPT (Frantar and Alistarh 2023, "SparseGPT: Massive Language Models Can Be Accurately Pruned in One-Shot"):
/// prunes a layer column by column, choosing the mask per block of columns by the OBS saliency w²/[H⁻¹]ᵢᵢ² and
/// spreading each removed weight's error over the not yet visited columns through the upper Cholesky factor of H⁻¹.
/// </summary>
public static class SparseGpt
{
    /// <summary>
    /// Returns the pruned weights (rows × cols, row-major). <paramref name="hessian"/> is XᵀX/n (cols × cols);
    /// <paramref name="damping"/> adds that fraction of its mean diagonal. With <paramref name="n"/> &gt; 0 the mask
    /// is N:M (n kept of every m columns, chosen by saliency) instead of <paramref name="sparsity"/> per block.
    /// </summary>
    public static float[] Prune(float[] weights, int rows, int cols, double[] hessian, double sparsity, int blockSize = 128, double damping = 0.01, int n = 0, int m = 0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(hessian);
        var w = new double[rows * cols];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = weights[i];
        }

        var u = InverseCholeskyUpper(hessian, cols, damping, w, rows);
        var mask = new bool[rows * blockSize]; // true = pruned, for the current block
        var errors = new double[rows * blockSize];
        var saliency = new double[rows * blockSize];
        var order = new int[rows * blockSize];
        for (var i1 = 0; i1 < cols; i1 += blockSize)
        {
            var i2 = Math.Min(cols, i1 + blockSize);
            var count = i2 - i1;
            Array.Clear(mask);
            if (n == 0)
            {
                SelectBlockMask(w, u, rows, cols, i1, count, sparsity, mask, saliency, order);
            }

            for (var i = 0; i < count; i++)
            {
                var col = i1 + i;
                var d = u[(col * cols) + col];
                if (n > 0 && i % m == 0)
                {
                    SelectNOfM(w, u, rows, cols, col, Math.Min(m, i2 - col), n, count, i, mask);
                }

                for (var r = 0; r < rows; r++)
                {
                    var value = w[(r * cols) + col];
                    var pruned = mask[(r * count) + i];
                    var err = pruned ? value / d : 0;
                    errors[(r * count) + i] = err;
                    if (err == 0)
                    {
                        continue;
                    }

                    // Within the block, update the remaining columns right away (OBS update w -= err · U[col, :]);
                    // w + (−err)·u is w − err·u exactly, so the SIMD update keeps the scalar loop's bits.
                    var rowOffset = r * cols;
                    var uOffset = col * cols;
                    HessianFactor.Axpy(w.AsSpan(rowOffset + col + 1, i2 - col - 1), u.AsSpan(uOffset + col + 1, i2 - col - 1), -err);
                    w[rowOffset + col] = 0;
                }
            }

            // Lazy batch update of the columns after the block.
            for (var r = 0; r < rows; r++)
            {
                var rowOffset = r * cols;
                for (var i = 0; i < count; i++)
                {
                    var err = errors[(r * count) + i];
                    if (err == 0)
                    {
                        continue;
                    }

                    var uOffset = (i1 + i) * cols;
                    HessianFactor.Axpy(w.AsSpan(rowOffset + i2, cols - i2), u.AsSpan(uOffset + i2, cols - i2), -err);
                }
            }
        }

        var result = new float[w.Length];
        for (var i = 0; i < w.Length; i++)
        {
            result[i] = (float)w[i];
        }

        return result;
    }

    /// <summary>
    /// U (cols × cols, row-major, upper) with (H + λI)⁻¹ = UᵀU. Inputs that are always zero (H_ii = 0) get H_ii = 1
    /// and their weights are zeroed, as in the reference implementation.
    /// </summary>
    internal static double[] InverseCholeskyUpper(double[] hessian, int cols, double damping, double[] w, int rows)
    {
        // Reversing the index order turns a lower Cholesky factor into the upper factor of the inverse:
        // with J the reversal, JHJ = LLᵀ gives H⁻¹ = UᵀU for U = J·L⁻¹·J (upper triangular).
        var reversed = new double[cols * cols];
        var meanDiagonal = 0.0;
        for (var i = 0; i < cols; i++)
        {
            meanDiagonal += Math.Max(hessian[(i * cols) + i], 0) / cols;
        }

        for (var i = 0; i < cols; i++)
        {
            var dead = hessian[(i * cols) + i] <= 0; // an input that is always zero (so is its row of H)
            if (dead)
            {
                for (var r = 0; r < rows; r++)
                {
                    w[(r * cols) + i] = 0;
                }
            }

            var ri = cols - 1 - i;
            for (var j = 0; j < cols; j++)
            {
                reversed[(ri * cols) + cols - 1 - j] = dead ? 0 : hessian[(i * cols) + j];
            }

            reversed[(ri * cols) + ri] = (dead ? 1 : hessian[(i * cols) + i]) + (damping * meanDiagonal);
        }

        // Blocked, in place and bit-identical to the row-at-a-time loops (one accumulator per dot, as SparseGPT
        // always summed); the reversal of L⁻¹ is a 180° turn of the array, so U needs no second matrix (issue 13).
        if (!TriangularRows.CholeskyInPlace(reversed, cols, paired: false))
        {
            throw new InvalidOperationException("The damped Hessian is not positive definite; it has non-finite entries.");
        }

        for (var i = 0; i < cols; i++)
        {
            reversed.AsSpan((i * cols) + i + 1, cols - i - 1).Clear(); // H's upper triangle must not reach U's lower one
        }

        TriangularRows.InvertLowerInPlace(reversed, cols);
        Array.Reverse(reversed);
        return reversed;
    }

    private static void SelectBlockMask(double[] w, double[] u, int rows, int cols, int i1, int count, double sparsity, bool[] mask, double[] saliency, int[] order)
    {
        var size = rows * count;
        for (var r = 0; r < rows; r++)
        {
            for (var i = 0; i < count; i++)
            {
                var d = u[((i1 + i) * cols) + i1 + i];
                var value = w[(r * cols) + i1 + i];
                saliency[(r * count) + i] = value * value / (d * d);
                order[(r * count) + i] = (r * count) + i;
            }
        }

        var prune = (int)Math.Round(sparsity * size);
        Array.Sort(order, 0, size, Comparer<int>.Create((a, b) => saliency[a] != saliency[b] ? saliency[a].CompareTo(saliency[b]) : a.CompareTo(b)));
        for (var k = 0; k < prune; k++)
        {
            mask[order[k]] = true;
        }
    }

    private static void SelectNOfM(double[] w, double[] u, int rows, int cols, int col, int length, int n, int count, int i, bool[] mask)
    {
        var scores = new double[length];
        var order = new int[length];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < length; j++)
            {
                var d = u[((col + j) * cols) + col + j];
                var value = w[(r * cols) + col + j];
                scores[j] = value * value / (d * d);
                order[j] = j;
            }

            // Prune the length − n least salient (ties: the later column goes first).
            Array.Sort(order, Comparer<int>.Create((a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : b.CompareTo(a)));
            for (var k = 0; k < length - n; k++)
            {
                mask[(r * count) + i + order[k]] = true;
            }
        }
    }
}
