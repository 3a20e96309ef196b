using ModelBuild.Compression.Algorithms.Quantization;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes.Quantization;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Runtime;

namespace ModelBuild.Compression.Tests.Methods.Quantization;

/// <summary>
/// Codebooks snapped onto an int8 grid (<see cref="GridPalette"/>): entries exactly k·s with s = max|entry| / 63 (the
/// narrow grid) and distinct integer k, weights assigned to the nearest snapped entry, the runtime's grid kernel taking them, and the
/// manifest switch.
/// </summary>
public sealed class GridPaletteTests
{
    [Fact]
    public void Snapped_entries_are_exact_integer_steps_of_max_over_63_near_the_fitted_ones()
    {
        var context = MethodHarness.Context(MnistCase.Mlp, calibrationCount: 1);
        foreach (var layer in context.Layers())
        {
            var fitted = KMeansPalette.Fit(context.GetMatrix(layer), 16, linearInit: true, keepZero: false);

            var snapped = GridPalette.Snap(fitted)!;

            var s = snapped.Max(Math.Abs) / 63f;
            var steps = snapped.Select(v => MathF.Round(v / s)).ToArray();
            Assert.All(Enumerable.Range(0, 16), e => Assert.Equal(snapped[e], steps[e] * s)); // exactly k·s in float32
            Assert.All(steps, k => Assert.InRange(k, -63, 63));
            Assert.Equal(16, steps.Distinct().Count());
            Assert.All(Enumerable.Range(0, 16), e => Assert.InRange(Math.Abs(snapped[e] - fitted[e]), 0, 0.5001 * s));
        }
    }

    [Fact]
    public void Entries_closer_than_a_step_get_distinct_steps_and_a_pinned_zero_stays_zero()
    {
        // 0 pinned first (as KMeansPalette.Fit puts it), then entries 0.2 steps apart and a tiny one that rounds to 0.
        float[] fitted = [0f, -0.63f, 0.0005f, 0.25f, 0.252f, 0.254f, 0.63f];

        var snapped = GridPalette.Snap(fitted)!;

        Assert.Equal(0f, snapped[0]);
        var steps = snapped.Select(v => (int)MathF.Round(v / 0.01f)).ToArray();
        Assert.Equal(fitted.Length, steps.Distinct().Count());
        Assert.Equal([0, -63, 1, 25, 26, 24, 63], steps); // 0.0005 moves up off the zero; 0.254 to the nearest free step
        Assert.Null(GridPalette.Snap([0f, 0f]));
    }

    [Fact]
    public void Codebooks_of_more_than_127_entries_take_the_wide_grid_of_max_over_127()
    {
        var fitted = Enumerable.Range(0, 200).Select(i => (i - 100) * 0.013f).ToArray();

        var snapped = GridPalette.Snap(fitted)!;

        var s = snapped.Max(Math.Abs) / 127f;
        var steps = snapped.Select(v => MathF.Round(v / s)).ToArray();
        Assert.All(Enumerable.Range(0, fitted.Length), e => Assert.Equal(snapped[e], steps[e] * s));
        Assert.Equal(fitted.Length, steps.Distinct().Count());
        Assert.All(steps, k => Assert.InRange(k, -127, 127));
    }

    [Theory]
    [InlineData(4, null, true)]
    [InlineData(4, false, false)]
    [InlineData(3, null, false)]
    [InlineData(3, true, true)]
    public void The_pass_snaps_4_bit_codebooks_by_default_and_assigns_every_weight_its_nearest_entry(int bits, bool? grid, bool snapped)
    {
        var option = grid is { } g ? $",\"int8Grid\":{(g ? "true" : "false")}" : "";
        var context = MethodHarness.Apply(MnistCase.Mlp, $$$"""{"passes":[{"palettize":{"bits":{{{bits}}},"granularity":"per-channel-group","rowsPerCodebook":64{{{option}}}}}]}""", 1);
        var original = MethodHarness.Context(MnistCase.Mlp, calibrationCount: 1);
        foreach (var layer in original.Layers())
        {
            var palette = Assert.IsType<Palettized>(context.Stored[layer.Name]);
            var w = original.GetMatrix(layer);
            var size = 1 << bits;
            for (var b = 0; b < palette.Codebooks.Length / size; b++)
            {
                var book = palette.Codebooks.AsSpan(b * size, size).ToArray();
                var s = book.Max(Math.Abs) / 63f;
                Assert.Equal(snapped, book.All(v => MathF.Round(v / s) * s == v));
            }

            // Codes minimise the distance to the (snapped) entries.
            for (var i = 0; i < w.Length; i += 7)
            {
                var book = palette.Codebooks.AsSpan(i / layer.Cols / 64 * size, size).ToArray();
                var chosen = Math.Abs((double)w[i] - book[palette.Indices[i]]);
                Assert.All(book, v => Assert.True(chosen <= Math.Abs((double)w[i] - v)));
            }
        }
    }

    [Fact]
    public void A_snapped_palette_survives_the_blob_and_takes_the_runtimes_grid_kernel_with_the_same_values()
    {
        var context = MethodHarness.Context(MnistCase.Mlp, calibrationCount: 1);
        var layer = context.Layers()[1];
        var palette = PalettizePass.Palettize(context.GetMatrix(layer), layer.Rows, layer.Cols, 4, 0, PaletteInit.Linear, int8Grid: true);
        var writer = new WeightBlobWriter();
        writer.AddStored("w", palette, [layer.Rows, layer.Cols]);

        var blob = WeightBlob.Load(writer.ToArray());

        var direct = blob.DenseMatrix(0).Direct!;
        Assert.Equal(16, direct.GridSteps.Length);
        Assert.Equal(16, direct.BiasedSteps.Length);
        Assert.Equal(palette.Decode(), direct.Dequantize());
        Assert.Equal(palette.Decode(), blob.Floats(0));
    }

    [Fact]
    public void The_manifest_reads_int8Grid_and_describes_only_a_non_default_choice()
    {
        var off = Assert.IsType<PalettizeSpec>(Assert.Single(CompressionManifest.Parse("""{"passes":[{"palettize":{"bits":4,"int8Grid":false}}]}""", "m.json").Passes));
        var on = Assert.IsType<PalettizeSpec>(Assert.Single(CompressionManifest.Parse("""{"passes":[{"palettize":{"bits":4}}]}""", "m.json").Passes));

        Assert.False(off.SnapsToGrid);
        Assert.True(on.SnapsToGrid);
        Assert.Equal("palettize(4-bit,per-tensor,linear,int8Grid=off)", off.Describe());
        Assert.Equal("palettize(4-bit,per-tensor,linear)", on.Describe());
        Assert.Equal(new PalettizeSpec(4, 0, PaletteInit.Linear), on);
    }
}
