using MathNet.Numerics.LinearAlgebra;
using ModelBuild.Compression.Algorithms.Quantization;

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
        if (keep is not null)
        {
            return FitMasked(RidgeSystem.Build(inputs, cols, withBias), targets, rows, keep, ridge, start);
        }

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

    /// <summary>
    /// The masked fit on a prepared <paramref name="system"/> (shared by every refit of a layer on the same inputs):
    /// each row solves the ridge system restricted to its kept inputs (and the bias), Cholesky when at most
    /// <see cref="DirectLimit"/> unknowns, else conjugate gradients from <paramref name="start"/>. Rows are
    /// independent, so they are spread over threads without changing a bit.
    /// </summary>
    /// <param name="system">G = XᵀX/n of the layer's inputs (<see cref="RidgeSystem.Build"/>).</param>
    /// <param name="targets">n × rows outputs to match.</param>
    /// <param name="rows">Output rows.</param>
    /// <param name="keep">rows × cols: true where a weight may be non-zero.</param>
    /// <param name="ridge">λ: the penalty is λ·mean(diag G) on the weights (not the bias).</param>
    /// <param name="start">rows × cols starting weights for the iterative rows (null: zeros).</param>
    public static (float[] Weights, float[]? Bias) FitMasked(RidgeSystem system, float[] targets, int rows, bool[] keep, double ridge, float[]? start = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(keep);
        var (cols, size) = (system.Cols, system.Size);
        var cross = system.Cross(targets, rows);
        var penalty = Math.Max(ridge * system.MeanDiagonal, 1e-12);
        var weights = new float[rows * cols];
        var bias = system.WithBias ? new float[rows] : null;
        Parallel.For(0, rows, r =>
        {
            var kept = new List<int>(size);
            for (var c = 0; c < cols; c++)
            {
                if (keep[(r * cols) + c])
                {
                    kept.Add(c);
                }
            }

            if (system.WithBias)
            {
                kept.Add(cols);
            }

            if (kept.Count == 0)
            {
                return;
            }

            var sub = Restricted(system, kept, penalty);
            var rhs = kept.Select(k => cross[(r * size) + k]).ToArray();
            var solution = kept.Count <= DirectLimit && CholeskySolve(sub, kept.Count, rhs) is { } direct
                ? direct
                : ConjugateGradient(sub, kept.Count, rhs, kept.Select(k => k < cols ? (double)(start?[(r * cols) + k] ?? 0) : 0).ToArray());
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
        });

        return (weights, bias);
    }

    /// <summary>G[S,S] with the ridge penalty on the weights' diagonal (and 1e-12 on the bias's, so the system stays positive definite if every input is constant), row-major.</summary>
    private static double[] Restricted(RidgeSystem system, List<int> kept, double penalty)
    {
        var size = kept.Count;
        var sub = new double[size * size];
        for (var i = 0; i < size; i++)
        {
            for (var j = i; j < size; j++)
            {
                var value = system[kept[i], kept[j]];
                sub[(i * size) + j] = value;
                sub[(j * size) + i] = value;
            }

            sub[(i * size) + i] += kept[i] < system.Cols ? penalty : 1e-12;
        }

        return sub;
    }

    /// <summary>Solves A·x = b (A symmetric positive definite, row-major; overwritten by its factor); null when A is not positive definite.</summary>
    private static double[]? CholeskySolve(double[] a, int n, double[] b)
    {
        var factor = (double[])a.Clone();
        if (!TriangularRows.CholeskyInPlace(factor, n))
        {
            return null;
        }

        var x = (double[])b.Clone();
        for (var i = 0; i < n; i++)
        {
            x[i] = (x[i] - TriangularRows.Dot(factor.AsSpan(i * n, i), x.AsSpan(0, i))) / factor[(i * n) + i]; // L·z = b
        }

        for (var i = n - 1; i >= 0; i--)
        {
            var sum = x[i];
            for (var k = i + 1; k < n; k++)
            {
                sum -= factor[(k * n) + i] * x[k]; // Lᵀ·x = z
            }

            x[i] = sum / factor[(i * n) + i];
        }

        return x;
    }

    /// <summary>Solves A·x = b by Jacobi-preconditioned conjugate gradients from <paramref name="x"/> (A symmetric positive definite, size × size row-major).</summary>
    private static double[] ConjugateGradient(double[] sub, int size, double[] b, double[] x)
    {
        double[] Multiply(double[] v)
        {
            var result = new double[size];
            for (var i = 0; i < size; i++)
            {
                result[i] = TriangularRows.Dot(sub.AsSpan(i * size, size), v);
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
