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

    /// <summary>
    /// What every rank tried on one layer shares, computed once (the search tries several ranks per layer): the SVD
    /// truncated at the largest rank, and with calibration inputs X the refit's inputs X·Rᵀ at that rank and its
    /// targets X·Wᵀ + b. A rank-r estimate takes the first r components of each, which are exactly what a rank-r
    /// truncation of the same SVD gives (each product element is summed on its own, in the same order).
    /// </summary>
    /// <param name="Factors">The SVD truncated at <c>Factors.Rank</c>.</param>
    /// <param name="Projected">X·Rᵀ (samples × Factors.Rank), or null without inputs.</param>
    /// <param name="Targets">X·Wᵀ + b (samples × rows), or null without inputs.</param>
    /// <param name="Samples">Rows of X.</param>
    /// <param name="HasBias">Whether the layer has a bias to refit.</param>
    internal sealed record Basis(LowRankFactors Factors, float[]? Projected, float[]? Targets, int Samples, bool HasBias);

    /// <summary>The shared part of every rank up to <paramref name="maxRank"/> (see <see cref="Basis"/>).</summary>
    /// <param name="matrix">The layer's weights, rows × cols, row-major.</param>
    /// <param name="rows">Output units.</param>
    /// <param name="cols">Inputs.</param>
    /// <param name="maxRank">The largest rank that will be estimated.</param>
    /// <param name="inputs">The layer's calibration inputs (n × cols), or null to skip the refit.</param>
    /// <param name="bias">The layer's bias (rows), or null when it has none.</param>
    public static Basis Prepare(float[] matrix, int rows, int cols, int maxRank, float[]? inputs = null, float[]? bias = null)
    {
        var factors = TruncatedSvd.Factor(matrix, rows, cols, maxRank);
        if (inputs is null)
        {
            return new Basis(factors, null, null, 0, bias is not null);
        }

        var n = inputs.Length / cols;
        var projected = Multiply(inputs, n, cols, Array.ConvertAll(factors.Right, v => (float)v), factors.Rank); // X·Rᵀ
        var targets = Multiply(inputs, n, cols, matrix, rows);                                                     // X·Wᵀ (+ b)
        if (bias is not null)
        {
            for (var i = 0; i < targets.Length; i++)
            {
                targets[i] += bias[i % rows];
            }
        }

        return new Basis(factors, projected, targets, n, bias is not null);
    }

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
        float[]? inputs = null, float[]? bias = null) =>
        Build(Prepare(matrix, rows, cols, candidate.Rank, inputs, bias), candidate, hessian, entropyCoding);

    /// <summary>The estimate at <paramref name="candidate"/>'s rank from a layer's shared <paramref name="basis"/> (at least that rank).</summary>
    public static (float[] Product, float[]? Bias, long Bytes) Build(Basis basis, AutoCandidate candidate, double[]? hessian, bool entropyCoding)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(candidate);
        var full = basis.Factors;
        var (rows, cols) = (full.Rows, full.Cols);
        var rank = Math.Clamp(candidate.Rank, 1, full.Rank);
        var linear = candidate with { Rank = 0 };
        var rightFloat = new float[rank * cols];
        var leftFloat = new float[rows * rank];
        for (var k = 0; k < rank; k++)
        {
            for (var c = 0; c < cols; c++)
            {
                rightFloat[(k * cols) + c] = (float)full.Right[(k * cols) + c];
            }

            for (var row = 0; row < rows; row++)
            {
                leftFloat[(row * rank) + k] = (float)full.Left[(row * full.Rank) + k];
            }
        }

        float[]? newBias = null;
        if (basis.Projected is { } projected && basis.Targets is { } targets)
        {
            var z = new float[basis.Samples * rank]; // the first `rank` columns of X·Rᵀ
            for (var i = 0; i < basis.Samples; i++)
            {
                Array.Copy(projected, i * full.Rank, z, i * rank, rank);
            }

            (leftFloat, newBias) = RidgeRefit.Fit(z, targets, rank, rows, keep: null, basis.HasBias, Ridge, leftFloat);
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
