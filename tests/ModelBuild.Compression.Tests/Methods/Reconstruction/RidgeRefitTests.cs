using MathNet.Numerics.LinearAlgebra;
using ModelBuild.Compression.Algorithms.Reconstruction;

namespace ModelBuild.Compression.Tests.Methods.Reconstruction;

/// <summary>
/// The masked ridge refit (pruning's reconstruction) on its own SIMD Gram, cross product and Cholesky against the
/// normal equations of the same problem written out in plain float64 loops and solved by MathNet, row by row; and the
/// sharing of one system between refits on the same inputs.
/// </summary>
public sealed class RidgeRefitTests
{
    [Theory]
    [InlineData(50, 7, 3, true, 0.5)]
    [InlineData(300, 33, 9, true, 0.8)]
    [InlineData(257, 70, 5, false, 0.3)] // tiles with tails: 70 inputs, 5 outputs
    public void Masked_fit_solves_the_masked_ridge_normal_equations(int n, int cols, int rows, bool withBias, double keepShare)
    {
        var random = new Random(n + cols);
        var x = Enumerable.Range(0, n * cols).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var y = Enumerable.Range(0, n * rows).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        var keep = Enumerable.Range(0, rows * cols).Select(_ => random.NextDouble() < keepShare).ToArray();
        Array.Fill(keep, false, 0, cols); // a row with no kept weight: only its bias (or nothing) is fitted
        const double ridge = 0.01;

        var (weights, bias) = RidgeRefit.FitMasked(RidgeSystem.Build(x, cols, withBias), y, rows, keep, ridge);

        var (expectedWeights, expectedBias) = Reference(x, y, n, cols, rows, keep, withBias, ridge);
        for (var i = 0; i < weights.Length; i++)
        {
            Assert.Equal(expectedWeights[i], weights[i], 1e-5 * (1 + Math.Abs(expectedWeights[i])));
            Assert.True(keep[i] || weights[i] == 0, "a pruned weight stays exactly zero");
        }

        Assert.Equal(withBias, bias is not null);
        for (var r = 0; bias is not null && r < rows; r++)
        {
            Assert.Equal(expectedBias![r], bias[r], 1e-5 * (1 + Math.Abs(expectedBias[r])));
        }
    }

    [Fact]
    public void The_legacy_entry_point_gives_the_same_masked_fit()
    {
        var random = new Random(3);
        var (n, cols, rows) = (120, 20, 4);
        var x = Enumerable.Range(0, n * cols).Select(_ => (float)random.NextDouble()).ToArray();
        var y = Enumerable.Range(0, n * rows).Select(_ => (float)random.NextDouble()).ToArray();
        var keep = Enumerable.Range(0, rows * cols).Select(i => i % 3 != 0).ToArray();

        var viaFit = RidgeRefit.Fit(x, y, cols, rows, keep, withBias: true, ridge: 0.01);
        var viaSystem = RidgeRefit.FitMasked(RidgeSystem.Build(x, cols, withBias: true), y, rows, keep, 0.01);

        Assert.Equal(viaSystem.Weights, viaFit.Weights);
        Assert.Equal(viaSystem.Bias, viaFit.Bias);
    }

    [Fact]
    public void A_system_matches_only_inputs_with_the_same_bits_and_shape()
    {
        var x = Enumerable.Range(0, 60).Select(i => i * 0.25f).ToArray();
        var system = RidgeSystem.Build(x, 6, withBias: true);

        Assert.True(system.Matches((float[])x.Clone(), 6, withBias: true)); // another array, same values
        Assert.False(system.Matches(x, 6, withBias: false));
        Assert.False(system.Matches(x, 10, withBias: true));
        var changed = (float[])x.Clone();
        changed[59] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(changed[59]) + 1); // one ulp
        Assert.False(system.Matches(changed, 6, withBias: true));
    }

    /// <summary>Each row: (G[S,S] + λ·mean(diag G)·I_weights)·w = C[S] with G = XᵀX/n, C = Xᵀy/n, in plain loops; MathNet solves.</summary>
    private static (double[] Weights, double[]? Bias) Reference(float[] x, float[] y, int n, int cols, int rows, bool[] keep, bool withBias, double ridge)
    {
        var size = cols + (withBias ? 1 : 0);
        double X(int s, int c) => c < cols ? x[(s * cols) + c] : 1.0;
        var g = new double[size, size];
        for (var a = 0; a < size; a++)
        {
            for (var b = 0; b < size; b++)
            {
                for (var s = 0; s < n; s++)
                {
                    g[a, b] += X(s, a) * X(s, b) / n;
                }
            }
        }

        var penalty = ridge * Enumerable.Range(0, cols).Sum(c => g[c, c]) / cols;
        var weights = new double[rows * cols];
        var bias = withBias ? new double[rows] : null;
        for (var r = 0; r < rows; r++)
        {
            var kept = Enumerable.Range(0, cols).Where(c => keep[(r * cols) + c]).Concat(withBias ? [cols] : []).ToList();
            if (kept.Count == 0)
            {
                continue;
            }

            var a = Matrix<double>.Build.Dense(kept.Count, kept.Count, (i, j) => g[kept[i], kept[j]] + (i == j ? (kept[i] < cols ? penalty : 1e-12) : 0));
            var rhs = Vector<double>.Build.Dense(kept.Count, i => Enumerable.Range(0, n).Sum(s => X(s, kept[i]) * y[(s * rows) + r]) / n);
            var solution = a.Solve(rhs);
            for (var i = 0; i < kept.Count; i++)
            {
                if (kept[i] < cols)
                {
                    weights[(r * cols) + kept[i]] = solution[i];
                }
                else
                {
                    bias![r] = solution[i];
                }
            }
        }

        return (weights, bias);
    }
}
