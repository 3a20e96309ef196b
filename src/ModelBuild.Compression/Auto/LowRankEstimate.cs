using ModelBuild.Compression.Algorithms.LowRank;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// The search's estimate of a low-rank candidate without rewriting the graph: truncated SVD W ≈ L·R, both factors
/// quantised as the candidate says (GPTQ on R with the layer's input Hessian H, on L with R̂·H·R̂ᵀ, the Hessian of
/// R̂'s outputs), and the product L̂·R̂ standing in for the layer. The <c>lowrank</c> pass's reconstruction is left
/// out, so the estimate errs on the lossy side; the shipped result is built by the real passes and measured.
/// </summary>
internal static class LowRankEstimate
{
    /// <summary>True when rank r saves weights over the dense layer (what the <c>lowrank</c> pass requires to act).</summary>
    public static bool Saves(int rows, int cols, int rank) => (long)rank * (rows + cols) < (long)rows * cols;

    /// <returns>The product (rows × cols, row-major) and the two factors' bytes (Brotli-compressed with <paramref name="entropyCoding"/>).</returns>
    public static (float[] Product, long Bytes) Build(float[] matrix, int rows, int cols, AutoCandidate candidate, double[]? hessian, bool entropyCoding)
    {
        var factors = TruncatedSvd.Factor(matrix, rows, cols, candidate.Rank);
        var rank = factors.Rank;
        var linear = candidate with { Rank = 0 };
        var right = CandidateQuantizer.Quantize(Array.ConvertAll(factors.Right, v => (float)v), rank, cols, linear, hessian);
        var r = right.Decode();
        var left = CandidateQuantizer.Quantize(Array.ConvertAll(factors.Left, v => (float)v), rows, rank, linear, hessian is null ? null : Project(r, rank, cols, hessian));
        var l = left.Decode();
        var product = new float[rows * cols];
        for (var i = 0; i < rows; i++)
        {
            for (var k = 0; k < rank; k++)
            {
                var a = l[(i * rank) + k];
                for (var j = 0; j < cols; j++)
                {
                    product[(i * cols) + j] += a * r[(k * cols) + j];
                }
            }
        }

        return (product, StorageChoice.SizeOf(left, entropyCoding) + StorageChoice.SizeOf(right, entropyCoding));
    }

    /// <summary>R·H·Rᵀ (rank × rank) for R (rank × cols) and H (cols × cols).</summary>
    private static double[] Project(float[] r, int rank, int cols, double[] h)
    {
        var rh = new double[rank * cols];
        for (var k = 0; k < rank; k++)
        {
            for (var i = 0; i < cols; i++)
            {
                var a = (double)r[(k * cols) + i];
                if (a == 0)
                {
                    continue;
                }

                for (var j = 0; j < cols; j++)
                {
                    rh[(k * cols) + j] += a * h[(i * cols) + j];
                }
            }
        }

        var result = new double[rank * rank];
        for (var a = 0; a < rank; a++)
        {
            for (var b = 0; b < rank; b++)
            {
                var sum = 0.0;
                for (var j = 0; j < cols; j++)
                {
                    sum += rh[(a * cols) + j] * r[(b * cols) + j];
                }

                result[(a * rank) + b] = sum;
            }
        }

        return result;
    }
}
