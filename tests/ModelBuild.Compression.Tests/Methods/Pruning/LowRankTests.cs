using MathNet.Numerics.LinearAlgebra;
using ModelBuild.Compression.Algorithms.LowRank;
using ModelBuild.Compression.Tests.Support;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.Pruning;

/// <summary>Truncated SVD (Eckart–Young in float64) and the <c>lowrank</c> pass on MNIST.</summary>
public sealed class LowRankTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(40, 25, 7)]
    [InlineData(12, 60, 5)]
    [InlineData(30, 30, 30)]
    public void Frobenius_error_squared_equals_the_discarded_energy(int rows, int cols, int rank)
    {
        var random = new Random(rows * 1000 + cols);
        var w = Enumerable.Range(0, rows * cols).Select(_ => random.NextDouble() - 0.5).ToArray();
        var f = TruncatedSvd.Factor(w, rows, cols, rank);

        double error = 0;
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var approx = 0.0;
                for (var k = 0; k < rank; k++)
                {
                    approx += f.Left[(r * rank) + k] * f.Right[(k * cols) + c];
                }

                error += Math.Pow(w[(r * cols) + c] - approx, 2);
            }
        }

        // Independent reference: MathNet's full SVD of the same matrix.
        var reference = Matrix<double>.Build.Dense(rows, cols, (r, c) => w[(r * cols) + c]).Svd(computeVectors: false).S.ToArray();
        var discarded = reference.Skip(rank).Sum(s => s * s);
        Assert.Equal(discarded, error, 1e-9 * Math.Max(1, discarded));
        Assert.Equal(discarded, f.DiscardedEnergy, 1e-9 * Math.Max(1, discarded));
        Assert.Equal(w.Sum(v => v * v), f.SingularValues.Sum(s => s * s), 1e-9);
    }

    [Fact]
    public void Rank_for_energy_is_the_smallest_rank_reaching_it()
    {
        double[] s = [3, 2, 1, 1]; // energies 9, 4, 1, 1 of 15
        Assert.Equal(1, TruncatedSvd.RankForEnergy(s, 0.6));
        Assert.Equal(2, TruncatedSvd.RankForEnergy(s, 13 / 15.0));
        Assert.Equal(3, TruncatedSvd.RankForEnergy(s, 0.9));
        Assert.Equal(4, TruncatedSvd.RankForEnergy(s, 1));
    }

    [Fact]
    public void Gemm_layers_become_two_thinner_gemms_where_that_saves_bytes()
    {
        var original = MethodHarness.LoadGraph(MnistCase.Mlp);
        var context = MethodHarness.Apply(MnistCase.Mlp, SparseGptAccuracyTests.Prune($"\"rank\":32", "lowrank"));
        var graph = context.Graph;

        Assert.Equal(5, graph.Nodes.Count(n => n.OpType == "Gemm")); // net.0 and net.3 split; net.6 (10×128) kept
        Assert.Equal([32L, 784], graph.GetInitializer("net.0.weight_v")!.Dims);
        Assert.Equal([256L, 32], graph.GetInitializer("net.0.weight_us")!.Dims);
        Assert.NotNull(graph.GetInitializer("net.6.weight"));
        Assert.Null(graph.GetInitializer("net.0.weight"));
        var before = original.Initializers.Sum(t => t.ElementCount);
        var after = graph.Initializers.Sum(t => t.ElementCount);
        Assert.Equal(before - (256 * 784) - (128 * 256) + (32 * (256 + 784)) + (32 * (128 + 256)), after);

        var plain = MethodHarness.Accuracy(graph, MnistCase.Mlp);
        var refit = MethodHarness.Accuracy(MethodHarness.Apply(MnistCase.Mlp, SparseGptAccuracyTests.Prune($"\"rank\":32,\"reconstruct\":true", "lowrank")).Graph, MnistCase.Mlp);
        output.WriteLine($"MLP rank 32: {plain:P2}, with reconstruction {refit:P2}");
        Assert.True(plain > 0.95, $"{plain:P2}");
        Assert.True(refit > plain, $"{refit:P2} vs {plain:P2}");
    }

    [Fact]
    public void Energy_target_factorises_the_cnn_head()
    {
        var context = MethodHarness.Apply(MnistCase.Cnn, SparseGptAccuracyTests.Prune($"\"energy\":0.9", "lowrank"));
        var rank = (int)context.Graph.GetInitializer("fc1.weight_v")!.Dims[0];
        var energy = TruncatedSvd.SingularValues(MethodHarness.Context(MnistCase.Cnn, 16).GetMatrix(
            MethodHarness.Context(MnistCase.Cnn, 16).Layers().Single(l => l.Name == "fc1.weight")), 128, 3136);
        var total = energy.Sum(s => s * s);

        Assert.True(energy.Take(rank).Sum(s => s * s) >= 0.9 * total);
        Assert.True(energy.Take(rank - 1).Sum(s => s * s) < 0.9 * total);
        var accuracy = MethodHarness.Accuracy(context.Graph, MnistCase.Cnn);
        output.WriteLine($"CNN energy 0.9 (fc1 rank {rank}): {accuracy:P2}");
        Assert.True(accuracy > 0.97, $"{accuracy:P2}");
    }
}
