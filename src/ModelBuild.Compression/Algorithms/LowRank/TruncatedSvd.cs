using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace ModelBuild.Compression.Algorithms.LowRank;

/// <summary>W ≈ Left·Right with Left = Uᵣ·Σᵣ (rows × rank) and Right = Vᵣᵀ (rank × cols), row-major, float64.</summary>
/// <param name="Rows">Output units of W.</param>
/// <param name="Cols">Inputs of W.</param>
/// <param name="Rank">The kept rank r.</param>
/// <param name="Left">Uᵣ·Σᵣ, rows × r.</param>
/// <param name="Right">Vᵣᵀ, r × cols.</param>
/// <param name="SingularValues">All singular values of W, largest first.</param>
public sealed record LowRankFactors(int Rows, int Cols, int Rank, double[] Left, double[] Right, double[] SingularValues)
{
    /// <summary>Σ of the discarded σᵢ² (equal to ‖W − Left·Right‖²_F by Eckart–Young).</summary>
    public double DiscardedEnergy => SingularValues.Skip(Rank).Sum(s => s * s);
}

/// <summary>Truncated singular value decomposition of a weight matrix (MathNet, through a thin QR of the tall side).</summary>
public static class TruncatedSvd
{
    /// <summary>The best rank-<paramref name="rank"/> factors of <paramref name="matrix"/> (rows × cols, row-major).</summary>
    public static LowRankFactors Factor(ReadOnlySpan<float> matrix, int rows, int cols, int rank)
    {
        var w = new double[rows * cols];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = matrix[i];
        }

        return Factor(w, rows, cols, rank);
    }

    /// <inheritdoc cref="Factor(ReadOnlySpan{float}, int, int, int)"/>
    public static LowRankFactors Factor(double[] matrix, int rows, int cols, int rank)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var (u, s, v) = Decompose(matrix, rows, cols);
        rank = Math.Clamp(rank, 1, s.Length);
        var left = new double[rows * rank];
        var right = new double[rank * cols];
        for (var k = 0; k < rank; k++)
        {
            for (var r = 0; r < rows; r++)
            {
                left[(r * rank) + k] = u[r, k] * s[k];
            }

            for (var c = 0; c < cols; c++)
            {
                right[(k * cols) + c] = v[c, k];
            }
        }

        return new LowRankFactors(rows, cols, rank, left, right, s);
    }

    /// <summary>The singular values of <paramref name="matrix"/>, largest first.</summary>
    public static double[] SingularValues(ReadOnlySpan<float> matrix, int rows, int cols)
    {
        var m = Matrix<double>.Build.Dense(rows, cols);
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                m[r, c] = matrix[(r * cols) + c];
            }
        }

        return m.Svd(computeVectors: false).S.ToArray();
    }

    /// <summary>The smallest rank whose singular values keep at least <paramref name="energy"/> of Σσᵢ².</summary>
    public static int RankForEnergy(double[] singularValues, double energy)
    {
        ArgumentNullException.ThrowIfNull(singularValues);
        var total = singularValues.Sum(s => s * s);
        var kept = 0.0;
        for (var k = 0; k < singularValues.Length; k++)
        {
            kept += singularValues[k] * singularValues[k];
            if (kept >= energy * total * (1 - 1e-12))
            {
                return k + 1;
            }
        }

        return singularValues.Length;
    }

    /// <summary>W = U·diag(S)·Vᵀ with thin U (rows × k) and V (cols × k), k = min(rows, cols).</summary>
    private static (Matrix<double> U, double[] S, Matrix<double> V) Decompose(double[] w, int rows, int cols)
    {
        // Factor the tall orientation A = QR (thin) and take the SVD of the small square R = Uᵣ·S·Vᵣᵀ: then
        // A = (Q·Uᵣ)·S·Vᵣᵀ. This avoids MathNet building the full square factor of the long side.
        var tall = rows >= cols;
        var a = tall
            ? Matrix<double>.Build.Dense(rows, cols, (r, c) => w[(r * cols) + c])
            : Matrix<double>.Build.Dense(cols, rows, (c, r) => w[(r * cols) + c]);
        var qr = a.QR(QRMethod.Thin);
        var svd = qr.R.Svd(computeVectors: true);
        var left = qr.Q * svd.U;
        var right = svd.VT.Transpose();
        return tall ? (left, svd.S.ToArray(), right) : (right, svd.S.ToArray(), left);
    }
}
