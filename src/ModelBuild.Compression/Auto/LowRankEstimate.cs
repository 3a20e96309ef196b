using ModelBuild.Compression.Algorithms.LowRank;
using ModelBuild.Compression.Algorithms.Reconstruction;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// The search's estimate of a low-rank candidate without rewriting the graph, in the order the <c>lowrank</c> and
/// <c>quantize</c> passes work: truncated SVD W ≈ L·R; with the layer's calibration inputs X, L and the bias refitted
/// by ridge least squares so that X·Rᵀ·Lᵀ + b matches the original outputs X·Wᵀ + b (the pass's reconstruction);
/// then both factors quantised as the candidate says (GPTQ on R with the layer's input Hessian H, on L with R̂·H·R̂ᵀ,
/// the Hessian of R̂'s outputs). The product L̂·R̂ stands in for the layer; the shipped result is built by the real
/// passes and measured.
/// </summary>
internal static class LowRankEstimate
{
    /// <summary>The ridge strength of the <c>lowrank</c> pass's reconstruction (its default, which auto's passes use).</summary>
    private const double Ridge = 0.01;

    /// <summary>True when rank r saves weights over the dense layer (what the <c>lowrank</c> pass requires to act).</summary>
    public static bool Saves(int rows, int cols, int rank) => (long)rank * (rows + cols) < (long)rows * cols;

    /// <param name="matrix">The layer's weights, rows × cols, row-major.</param>
    /// <param name="rows">Output units.</param>
    /// <param name="cols">Inputs.</param>
    /// <param name="candidate">A setting with a rank; its linear part codes both factors.</param>
    /// <param name="hessian">The layer's input Hessian XᵀX/n (cols × cols), needed for GPTQ settings.</param>
    /// <param name="entropyCoding">Whether the blob is Brotli-compressed.</param>
    /// <param name="inputs">The layer's calibration inputs (n × cols), or null to skip the refit.</param>
    /// <param name="bias">The layer's bias (rows), or null when it has none.</param>
    /// <returns>The product (rows × cols, row-major), the refitted bias (null when none or no refit) and the two factors' bytes (Brotli-compressed with <paramref name="entropyCoding"/>).</returns>
    public static (float[] Product, float[]? Bias, long Bytes) Build(float[] matrix, int rows, int cols, AutoCandidate candidate, double[]? hessian, bool entropyCoding,
        float[]? inputs = null, float[]? bias = null)
    {
        var factors = TruncatedSvd.Factor(matrix, rows, cols, candidate.Rank);
        var rank = factors.Rank;
        var linear = candidate with { Rank = 0 };
        var rightFloat = Array.ConvertAll(factors.Right, v => (float)v);
        var leftFloat = Array.ConvertAll(factors.Left, v => (float)v);
        float[]? newBias = null;
        if (inputs is not null)
        {
            var n = inputs.Length / cols;
            var z = Multiply(inputs, n, cols, rightFloat, rank); // X·Rᵀ, n × rank
            var y = Multiply(inputs, n, cols, matrix, rows);     // X·Wᵀ (+ b), n × rows
            if (bias is not null)
            {
                for (var i = 0; i < y.Length; i++)
                {
                    y[i] += bias[i % rows];
                }
            }

            (leftFloat, newBias) = RidgeRefit.Fit(z, y, rank, rows, keep: null, bias is not null, Ridge, leftFloat);
        }

        var right = CandidateQuantizer.Quantize(rightFloat, rank, cols, linear, hessian);
        var r = right.Decode();
        var left = CandidateQuantizer.Quantize(leftFloat, rows, rank, linear, hessian is null ? null : Project(r, rank, cols, hessian));
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

        return (product, newBias, StorageChoice.SizeOf(left, entropyCoding) + StorageChoice.SizeOf(right, entropyCoding));
    }

    /// <summary>A·Bᵀ for A (n × k) and B (m × k), row-major: n × m.</summary>
    private static float[] Multiply(float[] a, int n, int k, float[] b, int m)
    {
        var result = new float[n * m];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < m; j++)
            {
                var sum = 0.0;
                for (var t = 0; t < k; t++)
                {
                    sum += (double)a[(i * k) + t] * b[(j * k) + t];
                }

                result[(i * m) + j] = (float)sum;
            }
        }

        return result;
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
