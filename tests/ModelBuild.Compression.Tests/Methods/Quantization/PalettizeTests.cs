using ModelBuild.Compression.Algorithms.Quantization;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes.Quantization;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Methods.Quantization;

/// <summary>k-means weight sharing: lower error than a uniform grid, sparsity kept, deterministic.</summary>
public sealed class PalettizeTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void Kmeans_has_lower_weight_mse_than_linear_quantisation_per_tensor(int bits)
    {
        var context = MethodHarness.Context(MnistCase.Cnn, calibrationCount: 1);
        foreach (var layer in context.Layers())
        {
            var w = context.GetMatrix(layer);
            var wd = w.Select(v => (double)v).ToArray();
            var kmeans = PalettizePass.Palettize(w, layer.Rows, layer.Cols, bits, 0, PaletteInit.Linear).Decode();
            var symmetric = RoundToNearest.Quantize(wd, layer.Rows, layer.Cols, new GridOptions(bits, false, true, layer.Cols, true), null, null).Decoded;
            var asymmetric = RoundToNearest.Quantize(wd, layer.Rows, layer.Cols, new GridOptions(bits, false, false, layer.Cols, true), null, null).Decoded;

            var mse = QuantizeOptionTests.Mse(w, kmeans);
            Assert.True(mse < QuantizeOptionTests.Mse(w, symmetric), $"{layer.Name}");
            Assert.True(mse < QuantizeOptionTests.Mse(w, asymmetric), $"{layer.Name}");
            Assert.True(kmeans.Distinct().Count() <= 1 << bits);
        }
    }

    [Fact]
    public void One_dimensional_kmeans_reaches_a_lloyd_fixed_point()
    {
        var random = new Random(3);
        // Eight separated bumps: Lloyd converges well within its 50 rounds.
        var values = Enumerable.Range(0, 2000).Select(i => (float)((i % 8 * 0.1) + (random.NextDouble() * 0.03))).ToArray();
        foreach (var linear in new[] { true, false })
        {
            var centroids = KMeansPalette.Fit(values, 8, linear, keepZero: false);

            // At a fixed point every centroid is the mean of the values nearest to it (float32 rounding aside).
            for (var k = 0; k < centroids.Length; k++)
            {
                var members = values.Where(v => KMeansPalette.Nearest(v, centroids) == k).ToArray();
                if (members.Length > 0)
                {
                    Assert.Equal(members.Average(v => (double)v), centroids[k], 5);
                }
            }
        }
    }

    [Fact]
    public void Prune_then_palettize_keeps_exact_zeros_and_stores_sparse()
    {
        var context = MethodHarness.Context(MnistCase.Mlp, calibrationCount: 1);
        var layer = context.Layers()[0];
        var w = context.GetMatrix(layer);
        var threshold = w.Select(Math.Abs).Order().ElementAt(w.Length * 6 / 10);
        context.SetMatrix(layer, w.Select(v => Math.Abs(v) > threshold ? v : 0).ToArray());
        var pruned = context.GetMatrix(layer);

        new PalettizeSpec(4, 0, PaletteInit.Linear).CreatePass().Apply(context);

        var sparse = Assert.IsType<SparseMatrix>(context.Stored[layer.Name]);
        var palette = Assert.IsType<Palettized>(sparse.Inner);
        Assert.Contains(0f, palette.Codebooks);
        var decoded = palette.Decode();
        Assert.All(Enumerable.Range(0, w.Length), i => Assert.Equal(pruned[i] == 0, decoded[i] == 0));
        Assert.IsType<Palettized>(context.Stored[context.Layers()[1].Name]);
    }

    [Fact]
    public void Same_codebooks_and_indices_twice_and_one_codebook_per_row_block()
    {
        const string Manifest = """{"passes":[{"palettize":{"bits":5,"granularity":"per-channel-group","rowsPerCodebook":32,"init":"density"}}]}""";
        var first = MethodHarness.Apply(MnistCase.Mlp, Manifest, 1);
        var second = MethodHarness.Apply(MnistCase.Mlp, Manifest, 1);
        foreach (var (name, stored) in first.Stored)
        {
            var (a, b) = (Assert.IsType<Palettized>(stored), Assert.IsType<Palettized>(second.Stored[name]));
            Assert.Equal(a.Codebooks, b.Codebooks);
            Assert.Equal(a.Indices, b.Indices);
            Assert.Equal((a.Rows + 31) / 32 * 32, a.Codebooks.Length);
        }

        Assert.Contains(first.Notes, n => n.StartsWith("palettize 'net.0.weight': palette 5-bit per 32 rows", StringComparison.Ordinal));
    }

    [Fact]
    public void Palettized_mlp_at_4_bits_keeps_its_accuracy()
    {
        var context = MethodHarness.Apply(MnistCase.Mlp, """{"passes":[{"palettize":{"bits":4}}]}""", 1);
        Assert.InRange(MethodHarness.Accuracy(MethodHarness.Decoded(context), MnistCase.Mlp), 0.97, 1);
    }
}
