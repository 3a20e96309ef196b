using ModelBuild.Compression.Auto;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// Auto's search logic on measured numbers (no model): candidate spellings, the per-layer Pareto chains that let
/// palettes and pruned candidates compete with linear codes, the allocation along them, and the passes a choice becomes.
/// </summary>
public sealed class AutoSearchLogicTests
{
    [Theory]
    [InlineData("p90-pal4", 4, 0.9, true, false)]
    [InlineData("pal3", 3, 0.0, true, false)]
    [InlineData("p80-int4-gptq", 4, 0.8, false, true)]
    [InlineData("int2-g64", 2, 0.0, false, false)]
    [InlineData("r32-int4-gptq", 4, 0.0, false, true)]
    public void Candidate_names_round_trip(string name, int bits, double sparsity, bool palette, bool gptq)
    {
        var candidate = AutoCandidate.Parse(name)!;
        Assert.Equal((bits, sparsity, palette, gptq), (candidate.Bits, candidate.Sparsity, candidate.Palette, candidate.Gptq));
        Assert.Equal(name, candidate.Name);
        Assert.Equal(candidate.Sparsity > 0 || candidate.Palette, candidate.NeedsPasses);
        Assert.Equal(name.StartsWith('r') ? 32 : 0, candidate.Rank);
    }

    [Theory]
    [InlineData("p5-pal4")]
    [InlineData("p100-int4")]
    [InlineData("pal9")]
    [InlineData("p90-")]
    [InlineData("p90-fp16")]
    [InlineData("r32-pal4")]
    [InlineData("r32-p90-int4")]
    [InlineData("r0-int4")]
    public void Bad_candidate_names_are_rejected(string name) => Assert.Null(AutoCandidate.Parse(name));

    [Fact]
    public void A_layer_where_pruning_wins_gets_a_chain_without_the_linear_codes_it_beats()
    {
        // Measured (loss, bytes) of one layer: int8, int4, int2, p90-pal4. The pruned palette is smaller than int2 and
        // loses less, so int2 is dominated and drops out; int4 stays (it loses less than the pruned palette).
        double[] loss = [0, 0.0005, 0.02, 0.001];
        long[] bytes = [200_000, 100_000, 50_000, 20_000];

        Assert.Equal([0, 1, 3], LayerChains.Front(loss, bytes));
    }

    [Fact]
    public void Zero_loss_candidates_collapse_to_the_smallest_and_unmeasured_ones_are_left_out()
    {
        double[] loss = [0, 0, 0.003, double.PositiveInfinity];
        long[] bytes = [200_000, 120_000, 30_000, 10_000];

        Assert.Equal([1, 2], LayerChains.Front(loss, bytes)); // int8 is no better than the smaller zero-loss setting
    }

    [Fact]
    public void Allocation_along_chains_spends_the_allowance_where_it_saves_the_most_bytes()
    {
        // Layer 0 (large): pruning saves 180 kB for 0.002; layer 1 (small): int2 saves 3 kB for 0.003.
        var chains = new LayerChains(
            [[0, 0.002], [0, 0.003]],
            [[200_000, 20_000], [4_000, 1_000]]);

        var steps = AutoAllocation.Allocate(chains.Loss, chains.Bytes, budget: 0.004);

        Assert.Equal([1, 0], steps); // both together would cost 0.005 > 0.004: the big saving wins
        Assert.Equal([1, 0], chains.Settings(steps));
    }

    [Fact]
    public void Chain_steps_map_to_each_layers_own_setting_indices()
    {
        // Layer 0 keeps settings 0, 2, 3 (1 is dominated); layer 1 keeps 1 and 3 (0 is no better than 1, 2 is dominated).
        var chains = new LayerChains(
            [[0, 0.001, 0.0005, 0.004], [0, 0, 0.01, 0.002]],
            [[100, 80, 60, 10], [100, 90, 50, 20]]);

        // Regression: Settings once bound Select's (element, index) overload and read Setting(step, layer), which
        // swapped layers and steps (wrong settings, or an IndexOutOfRangeException in the search).
        Assert.Equal([3, 1], chains.Settings([2, 0]));
        Assert.Equal([0, 3], chains.Settings([0, 1]));
        Assert.Equal([2, 3], chains.Settings([1, 1]));
    }

    [Fact]
    public void A_choice_becomes_prune_passes_excluding_the_other_layers_then_one_pass_per_setting()
    {
        var p90 = AutoCandidate.Parse("p90-pal4")!;
        var passes = AutoPasses.Json([("fc1.weight", p90), ("fc2.weight", AutoCandidate.Parse("int4-gptq")!), ("fc3.weight", p90)]);

        Assert.Equal(
            [
                """{ "prune": { "method": "magnitude", "sparsity": 0.9, "scope": "per-layer", "rounds": 3, "reconstruct": true, "exclude": ["fc2.weight"] } }""",
                """{ "palettize": { "bits": 4, "layers": ["fc1.weight", "fc3.weight"] } }""",
                """{ "quantize": { "weights": "int4", "method": "gptq", "layers": ["fc2.weight"] } }""",
            ],
            passes);
        var manifest = ModelBuild.Compression.Manifest.CompressionManifest.Parse("{ \"passes\": [" + string.Join(", ", passes) + "] }", "m.json");
        Assert.Equal(3, manifest.Passes.Count); // what the pinned manifest carries parses back
    }

    [Fact]
    public void Global_pruning_is_one_global_magnitude_pass_in_rounds_with_reconstruction_that_parses_back()
    {
        var pass = AutoPasses.GlobalPrune(0.93);

        Assert.Equal("""{ "prune": { "method": "magnitude", "sparsity": 0.93, "scope": "global", "rounds": 3, "reconstruct": true } }""", pass);
        var spec = Assert.IsType<ModelBuild.Compression.Passes.Pruning.PruneSpec>(
            Assert.Single(ModelBuild.Compression.Manifest.CompressionManifest.Parse("{ \"passes\": [" + pass + "] }", "m.json").Passes));
        Assert.Equal((0.93, ModelBuild.Compression.Passes.Pruning.PruneScope.Global, 3, true), (spec.Sparsity, spec.Scope, spec.Rounds, spec.Reconstruct));
    }

    [Fact]
    public void Global_pruning_recipes_are_tried_only_with_pruned_palette_candidates_at_their_widest_and_narrowest_widths()
    {
        Assert.Equal((4, 3), GlobalPruneRecipes.PaletteBits(new AutoSpec(AutoSpec.DefaultCandidates, MaxBytes: null)));
        Assert.Null(GlobalPruneRecipes.PaletteBits(new AutoSpec(new[] { "int4", "pal3", "p80-int4-gptq" }.Select(n => AutoCandidate.Parse(n)!).ToList(), MaxBytes: null)));
        Assert.Equal(GlobalPruneRecipes.Sparsities.Order(), GlobalPruneRecipes.Sparsities); // bisection needs them ascending
    }

    [Fact]
    public void A_low_rank_choice_becomes_a_lowrank_pass_before_the_quantizer_that_then_codes_both_factors()
    {
        var passes = AutoPasses.Json([("net.0.weight", AutoCandidate.Parse("r32-int4-gptq")!), ("net.3.weight", AutoCandidate.Parse("int4-gptq")!)]);

        Assert.Equal(
            [
                """{ "lowrank": { "rank": 32, "layers": ["net.0.weight"], "reconstruct": true } }""",
                """{ "quantize": { "weights": "int4", "method": "gptq", "layers": ["net.0.weight", "net.3.weight"] } }""",
            ],
            passes);
    }

    [Fact]
    public void A_layer_where_low_rank_wins_keeps_it_on_its_chain()
    {
        // int8, int4-gptq, int2-gptq, r32-int4-gptq: the low-rank setting is 4× smaller than int2 and loses less.
        double[] loss = [0, 0.0004, 0.01, 0.003];
        long[] bytes = [200_000, 100_000, 50_000, 12_000];

        Assert.Equal([0, 1, 3], LayerChains.Front(loss, bytes)); // int2 is dominated; int8 stays (it alone loses nothing)
    }

    [Fact]
    public void The_low_rank_estimate_is_exact_at_full_rank_with_int8_codes_and_prices_both_factors()
    {
        // A rank-2 matrix: rank 2 loses nothing but the int8 rounding of the factors.
        const int Rows = 6, Cols = 8;
        var w = new float[Rows * Cols];
        for (var i = 0; i < Rows; i++)
        {
            for (var j = 0; j < Cols; j++)
            {
                w[(i * Cols) + j] = (float)((Math.Sin(i + 1) * Math.Cos(j)) + (0.5 * (i - 2) * Math.Sin(2 * j)));
            }
        }

        var (product, _, bytes) = LowRankEstimate.Build(w, Rows, Cols, AutoCandidate.Parse("r2-int8")!, hessian: null, entropyCoding: false);

        var scale = w.Max(Math.Abs);
        Assert.All(w.Zip(product), p => Assert.InRange(p.Second - p.First, -0.03 * scale, 0.03 * scale));
        Assert.True(bytes > 0 && bytes < Rows * Cols * 4, $"{bytes} bytes");
        Assert.True(LowRankEstimate.Saves(256, 784, 32));
        Assert.False(LowRankEstimate.Saves(10, 128, 32)); // 32 × 138 > 1280: the lowrank pass would keep the layer
    }

    [Fact]
    public void One_layer_alone_prunes_only_that_layer()
    {
        var passes = AutoPasses.Json([("fc2.weight", AutoCandidate.Parse("p80-int4-gptq")!)], ["fc1.weight", "fc2.weight"]);

        Assert.Contains("\"exclude\": [\"fc1.weight\"]", passes[0], StringComparison.Ordinal);
        Assert.Contains("\"layers\": [\"fc2.weight\"]", passes[1], StringComparison.Ordinal);
    }
}
