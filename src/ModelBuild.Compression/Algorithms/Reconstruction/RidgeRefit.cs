using MathNet.Numerics.LinearAlgebra;

namespace ModelBuild.Compression.Algorithms.Reconstruction;

/// <summary>
/// Layer-wise reconstruction ("distillation without training"): refits a linear layer y = W·x + b so that, on the
/// calibration inputs it now receives, its outputs match recorded targets (the original model's outputs) in the
/// least-squares sense, with a ridge penalty λ·mean(diag XᵀX/n)·‖W‖² that keeps the fit stable when inputs are few
/// or collinear. A mask keeps pruned weights at exactly zero (each row solves on its kept inputs only).
/// </summary>
public static class RidgeRefit
{
    /// <summary>
    /// Fits weights (rows × cols, row-major) and, when <paramref name="withBias"/>, a bias. <paramref name="inputs"/>
    /// are n × cols, <paramref name="targets"/> n × rows. <paramref name="keep"/> (rows × cols) marks the weights
    /// that may be non-zero; null fits all.
    /// </summary>
    public static (float[] Weights, float[]? Bias) Fit(float[] inputs, float[] targets, int cols, int rows, bool[]? keep, bool withBias, double ridge)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        var n = inputs.Length / cols;
        var size = cols + (withBias ? 1 : 0);
        var x = Matrix<double>.Build.Dense(n, size, (s, c) => c < cols ? inputs[(s * cols) + c] : 1.0);
        var y = Matrix<double>.Build.Dense(n, rows, (s, r) => targets[(s * rows) + r]);
        var gram = x.TransposeThisAndMultiply(x).Divide(n);
        var cross = x.TransposeThisAndMultiply(y).Divide(n); // size × rows
        var meanDiagonal = 0.0;
        for (var c = 0; c < cols; c++)
        {
            meanDiagonal += gram[c, c] / cols;
        }

        var penalty = Math.Max(ridge * meanDiagonal, 1e-12);
        for (var c = 0; c < cols; c++)
        {
            gram[c, c] += penalty;
        }

        if (withBias)
        {
            gram[cols, cols] += 1e-12; // keeps the system positive definite if every input is constant
        }

        var weights = new float[rows * cols];
        var bias = withBias ? new float[rows] : null;
        if (keep is null)
        {
            var solution = gram.Cholesky().Solve(cross);
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < cols; c++)
                {
                    weights[(r * cols) + c] = (float)solution[c, r];
                }

                if (bias is not null)
                {
                    bias[r] = (float)solution[cols, r];
                }
            }

            return (weights, bias);
        }

        for (var r = 0; r < rows; r++)
        {
            var kept = Enumerable.Range(0, cols).Where(c => keep[(r * cols) + c]).ToList();
            if (withBias)
            {
                kept.Add(cols);
            }

            if (kept.Count == 0)
            {
                continue;
            }

            var sub = Matrix<double>.Build.Dense(kept.Count, kept.Count, (i, j) => gram[kept[i], kept[j]]);
            var rhs = Vector<double>.Build.Dense(kept.Count, i => cross[kept[i], r]);
            var solution = sub.Cholesky().Solve(rhs);
            for (var i = 0; i < kept.Count; i++)
            {
                if (kept[i] < cols)
                {
                    weights[(r * cols) + kept[i]] = (float)solution[i];
                }
                else
                {
                    bias![r] = (float)solution[i];
                }
            }
        }

        return (weights, bias);
    }
}
