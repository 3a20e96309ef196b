using MathNet.Numerics.LinearAlgebra;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// A factor of an input second moment H (cols × cols) cheap enough to evaluate ‖ΔW·x‖² thousands of times:
/// H ≈ BᵀB + σ·I with B of size k × cols, so that tr(ΔW·H·ΔWᵀ) ≈ ‖ΔW·Bᵀ‖² + σ·‖ΔW‖² costs rows·cols·k, not rows·cols².
/// </summary>
/// <remarks>
/// Up to <see cref="ExactLimit"/> columns B is the exact Cholesky factor (σ = 0). Above it B holds H's top
/// <see cref="ExactLimit"/> eigenpairs (B = Λ^½·Uᵀ) found by randomized subspace iteration from a seeded uniform test matrix (no transcendental functions, so the
/// same on every platform) (Halko, Martinsson,
/// Tropp 2011, "Finding structure with randomness", Alg. 4.4), and σ spreads the trace left over evenly, so errors
/// along the discarded directions are still charged on average instead of being free. For a Gemm layer calibrated on
/// n ≤ <see cref="ExactLimit"/> samples H has rank ≤ n and the sketch is exact up to rounding.
/// </remarks>
public sealed class HessianSketch
{
    /// <summary>The largest factor rank; also the column count up to which the factor is exact.</summary>
    public const int ExactLimit = 256;

    private const int PowerIterations = 2;
    private const int Seed = 20_200_410; // fixed: the sketch (and so the rounding) depends only on H

    private HessianSketch(float[] factor, int rank, int cols, double sigma)
    {
        Factor = factor;
        Rank = rank;
        Cols = cols;
        Sigma = sigma;
    }

    /// <summary>B, rank × cols, row-major.</summary>
    public float[] Factor { get; }

    /// <summary>Rows of B (k).</summary>
    public int Rank { get; }

    /// <summary>Inputs of the layer.</summary>
    public int Cols { get; }

    /// <summary>The isotropic remainder σ ≥ 0 (0 when the factor is exact).</summary>
    public double Sigma { get; }

    /// <summary>Sketches <paramref name="h"/> (cols × cols, row-major, symmetric positive semi-definite).</summary>
    public static HessianSketch Of(double[] h, int cols)
    {
        ArgumentNullException.ThrowIfNull(h);
        var matrix = Matrix<double>.Build.Dense(cols, cols, (i, j) => h[(i * cols) + j]);
        return cols <= ExactLimit ? Cholesky(matrix, cols) : Randomized(matrix, cols);
    }

    private static HessianSketch Cholesky(Matrix<double> h, int cols)
    {
        // A tiny damping keeps Cholesky defined when some inputs are dead (zero rows and columns) or collinear.
        var trace = h.Diagonal().Sum();
        var damp = 1e-9 * Math.Max(trace / cols, 1e-30);
        for (var attempt = 0; ; attempt++)
        {
            var damped = h.Clone();
            for (var i = 0; i < cols; i++)
            {
                damped[i, i] += damp;
            }

            try
            {
                var lower = damped.Cholesky().Factor; // H = L·Lᵀ, so B = Lᵀ
                var factor = new float[cols * cols];
                for (var j = 0; j < cols; j++)
                {
                    for (var c = 0; c <= j; c++)
                    {
                        factor[(c * cols) + j] = (float)lower[j, c];
                    }
                }

                return new HessianSketch(factor, cols, cols, 0);
            }
            catch (ArgumentException) when (attempt < 8)
            {
                damp *= 100;
            }
        }
    }

    private static HessianSketch Randomized(Matrix<double> h, int cols)
    {
        var rank = ExactLimit;
        var random = new Random(Seed);
        var omega = Matrix<double>.Build.Dense(cols, rank, (_, _) => (2 * random.NextDouble()) - 1);
        var basis = (h * omega).QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin).Q;
        for (var i = 0; i < PowerIterations; i++)
        {
            basis = (h * basis).QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin).Q;
        }

        var small = basis.TransposeThisAndMultiply(h * basis);
        small = (small + small.Transpose()) / 2; // symmetric up to rounding; Evd takes the symmetric path
        var evd = small.Evd(Symmetricity.Symmetric);
        var vectors = basis * evd.EigenVectors; // cols × rank, orthonormal columns
        var factor = new float[rank * cols];
        double kept = 0;
        for (var j = 0; j < rank; j++)
        {
            var lambda = Math.Max(0, evd.EigenValues[j].Real);
            kept += lambda;
            var root = Math.Sqrt(lambda);
            for (var c = 0; c < cols; c++)
            {
                factor[(j * cols) + c] = (float)(root * vectors[c, j]);
            }
        }

        var sigma = Math.Max(0, h.Diagonal().Sum() - kept) / Math.Max(1, cols - rank);
        return new HessianSketch(factor, rank, cols, sigma);
    }
}
