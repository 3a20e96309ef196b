using ModelBuild.Compression.Algorithms.Pruning;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes.Pruning;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Methods.Pruning;

/// <summary>Mask properties of the <c>prune</c> pass: exact sparsity, N:M groups, exclusions, thresholds, determinism.</summary>
public sealed class PruneMaskTests
{
    private static Dictionary<string, float[]> Weights(Passes.CompressionContext context) =>
        context.Layers().ToDictionary(l => l.Name, context.GetMatrix);

    private static long Zeros(IEnumerable<float[]> matrices) => matrices.Sum(m => m.LongCount(v => v == 0));

    [Fact]
    public void Global_magnitude_reaches_the_sparsity_exactly_and_ranks_across_layers()
    {
        var before = Weights(MethodHarness.Context(MnistCase.Mlp, 16));
        Assert.Equal(0, Zeros(before.Values)); // so every zero afterwards was put there by the pass
        var after = Weights(MethodHarness.Apply(MnistCase.Mlp, SparseGptAccuracyTests.Prune($"\"sparsity\":0.8")));

        var total = before.Values.Sum(m => (long)m.Length);
        Assert.Equal((long)Math.Round(0.8 * total), Zeros(after.Values));

        // One ranking: every surviving weight is at least as large as every removed one.
        var keptMin = after.Values.SelectMany(m => m).Where(v => v != 0).Min(Math.Abs);
        var removedMax = before.SelectMany(p => p.Value.Where((v, i) => after[p.Key][i] == 0)).Max(Math.Abs);
        Assert.True(keptMin >= removedMax);
        Assert.All(before, p => Assert.Equal(p.Value.Select((v, i) => after[p.Key][i] == 0 ? 0 : v), after[p.Key])); // survivors unchanged
    }

    [Fact]
    public void Per_layer_magnitude_reaches_the_sparsity_in_every_layer()
    {
        var after = Weights(MethodHarness.Apply(MnistCase.Mlp, SparseGptAccuracyTests.Prune($"\"sparsity\":0.7,\"scope\":\"per-layer\"")));

        Assert.All(after.Values, m => Assert.Equal((long)Math.Round(0.7 * m.Length), Zeros([m])));
    }

    [Theory]
    [InlineData("n:m", 2, 4)]
    [InlineData("n:m", 1, 4)]
    [InlineData("sparsegpt", 2, 4)]
    public void N_of_m_masks_keep_at_most_n_per_group(string method, int n, int m)
    {
        var context = MethodHarness.Apply(MnistCase.Mlp, SparseGptAccuracyTests.Prune($"\"method\":\"{method}\",\"n\":{n},\"m\":{m}"), 128);

        foreach (var layer in context.Layers())
        {
            var w = context.GetMatrix(layer);
            Assert.Equal(0, layer.Cols % m);
            for (var g = 0; g < w.Length; g += m)
            {
                var nonzeros = w.AsSpan(g, m).ToArray().Count(v => v != 0);
                if (method == "n:m")
                {
                    Assert.Equal(n, nonzeros); // the model has no exact zeros, so magnitude keeps exactly n
                }
                else
                {
                    Assert.InRange(nonzeros, 0, n); // SparseGPT also zeros weights of inputs that are always zero
                }
            }
        }
    }

    [Fact]
    public void Exclusions_by_name_and_op_type_are_left_untouched()
    {
        var before = Weights(MethodHarness.Context(MnistCase.Cnn, 16));
        var after = Weights(MethodHarness.Apply(MnistCase.Cnn, SparseGptAccuracyTests.Prune($"\"sparsity\":0.9,\"exclude\":[\"Conv\",\"fc2.weight\"]")));

        Assert.Equal(before["conv1.weight"], after["conv1.weight"]);
        Assert.Equal(before["conv2.weight"], after["conv2.weight"]);
        Assert.Equal(before["fc2.weight"], after["fc2.weight"]);
        Assert.Equal((long)Math.Round(0.9 * after["fc1.weight"].Length), Zeros([after["fc1.weight"]]));
    }

    [Fact]
    public void Threshold_zeros_exactly_the_small_weights()
    {
        var before = Weights(MethodHarness.Context(MnistCase.Mlp, 16));
        var after = Weights(MethodHarness.Apply(MnistCase.Mlp, SparseGptAccuracyTests.Prune($"\"threshold\":0.02")));

        foreach (var (name, w) in before)
        {
            Assert.Equal(w.Select(v => Math.Abs(v) < 0.02f ? 0f : v), after[name]);
        }
    }

    [Fact]
    public void Sparsegpt_and_reconstruction_are_deterministic()
    {
        var manifest = SparseGptAccuracyTests.Prune($"\"method\":\"sparsegpt\",\"sparsity\":0.6,\"rounds\":2,\"reconstruct\":true");
        var first = Weights(MethodHarness.Apply(MnistCase.Mlp, manifest, 128));
        var second = Weights(MethodHarness.Apply(MnistCase.Mlp, manifest, 128));

        Assert.All(first, p => Assert.Equal(p.Value, second[p.Key]));
        Assert.True(Zeros(first.Values) >= (long)(0.6 * first.Values.Sum(m => m.Length)) - 3);
    }

    [Theory]
    [InlineData(PruneSchedule.Geometric, new[] { 0.5, 0.75, 0.875 })]
    [InlineData(PruneSchedule.Linear, new[] { 0.875 / 3, 0.875 * 2 / 3, 0.875 })]
    public void Round_targets_follow_the_schedule(PruneSchedule schedule, double[] expected)
    {
        var pass = new PrunePass(new PruneSpec(PruneMethod.Magnitude, 0.875, null, PruneScope.Global, [], 3, schedule, false, 0.01, 0, 0));

        Assert.Equal(expected, [pass.RoundTarget(1, 3), pass.RoundTarget(2, 3), pass.RoundTarget(3, 3)], new Tolerance(1e-12));
    }

    [Fact]
    public void Zero_smallest_breaks_ties_by_position()
    {
        float[] a = [1, -1, 2];
        float[] b = [1, 0.5f];
        MagnitudePruner.ZeroSmallest([a, b], 3);

        Assert.Equal([0f, 0f, 2f], a);
        Assert.Equal([1f, 0f], b);
    }

    private sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= eps;

        public int GetHashCode(double obj) => 0;
    }
}
