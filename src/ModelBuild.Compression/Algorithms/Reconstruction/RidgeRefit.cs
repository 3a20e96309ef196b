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
    /// <summary>Masked rows with at most this many unknowns are solved directly (Cholesky).</summary>
    public const int DirectLimit = 640;

    private const int MaxIterations = 25;

    /// <summary>
    /// Fits weights (rows × cols, row-major) and, when <paramref name="withBias"/>, a bias. <paramref name="inputs"/>
    /// are n × cols, <paramref name="targets"/> n × rows. <paramref name="keep"/> (rows × cols) marks the weights
    /// that may be non-zero; null fits all. Rows with more than <see cref="DirectLimit"/> kept inputs are solved by
    /// conjugate gradients started from <paramref name="start"/> (the current weights), as a direct solve per row
    /// would cost kept³/3 each.
    /// </summary>
    public static (float[] Weights, float[]? Bias) Fit(float[] inputs, float[] targets, int cols, int rows, bool[]? keep, bool withBias, double ridge, float[]? start = null)
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

            var rhs = kept.Select(k => cross[k, r]).ToArray();
            var solution = kept.Count <= DirectLimit
                ? Matrix<double>.Build.Dense(kept.Count, kept.Count, (i, j) => gram[kept[i], kept[j]]).Cholesky().Solve(Vector<double>.Build.Dense(rhs)).ToArray()
                : ConjugateGradient(gram, kept, rhs, kept.Select(k => k < cols ? (double)(start?[(r * cols) + k] ?? 0) : 0).ToArray());
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

    /// <summary>Solves G[S,S]·x = b by Jacobi-preconditioned conjugate gradients (G is symmetric positive definite).</summary>
    private static double[] ConjugateGradient(Matrix<double> gram, List<int> kept, double[] b, double[] x)
    {
        var size = kept.Count;
        var sub = new double[size * size];
        for (var i = 0; i < size; i++)
        {
            for (var j = 0; j < size; j++)
            {
                sub[(i * size) + j] = gram[kept[i], kept[j]];
            }
        }

        double[] Multiply(double[] v)
        {
            var result = new double[size];
            for (var i = 0; i < size; i++)
            {
                var row = sub.AsSpan(i * size, size);
                double sum = 0;
                for (var j = 0; j < size; j++)
                {
                    sum += row[j] * v[j];
                }

                result[i] = sum;
            }

            return result;
        }

        var residual = Multiply(x).Select((v, i) => b[i] - v).ToArray();
        var z = residual.Select((v, i) => v / sub[(i * size) + i]).ToArray();
        var direction = (double[])z.Clone();
        var rz = residual.Zip(z, (a, c) => a * c).Sum();
        var tolerance = 1e-12 * b.Sum(v => v * v);
        for (var iteration = 0; iteration < MaxIterations && residual.Sum(v => v * v) > tolerance; iteration++)
        {
            var q = Multiply(direction);
            var alpha = rz / direction.Zip(q, (a, c) => a * c).Sum();
            for (var i = 0; i < size; i++)
            {
                x[i] += alpha * direction[i];
                residual[i] -= alpha * q[i];
                z[i] = residual[i] / sub[(i * size) + i];
            }

            var next = residual.Zip(z, (a, c) => a * c).Sum();
            for (var i = 0; i < size; i++)
            {
                direction[i] = z[i] + (next / rz * direction[i]);
            }

            rz = next;
        }

        return x;
    }
}
