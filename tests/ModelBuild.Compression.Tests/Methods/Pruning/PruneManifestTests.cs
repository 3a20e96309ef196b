using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes.LowRank;
using ModelBuild.Compression.Passes.Pruning;

namespace ModelBuild.Compression.Tests.Methods.Pruning;

/// <summary>Manifest parsing of <c>prune</c>, <c>prune-structured</c> and <c>lowrank</c>, including errors with positions.</summary>
public sealed class PruneManifestTests
{
    private const string File = "m.compress.json";

    private static PassSpec Single(string pass) => CompressionManifest.Parse("{\"passes\":[" + pass + "]}", File).Passes.Single();

    [Fact]
    public void Prune_defaults_are_global_magnitude_in_one_round()
    {
        var spec = Assert.IsType<PruneSpec>(Single("""{"prune":{"sparsity":0.5}}"""));

        Assert.Equal(new PruneSpec(PruneMethod.Magnitude, 0.5, null, PruneScope.Global, spec.Exclude, 1, PruneSchedule.Geometric, false, 0.01, 0, 0), spec);
        Assert.Empty(spec.Exclude);
        Assert.Equal("prune(magnitude,50.0 %,global)", spec.Describe());
    }

    [Theory]
    [InlineData("""{"prune":{"method":"sparsegpt","sparsity":0.9}}""", PruneScope.Global)] // issue 13 D8: it was per-layer
    [InlineData("""{"prune":{"method":"sparsegpt","sparsity":0.9,"scope":"per-layer"}}""", PruneScope.PerLayer)]
    [InlineData("""{"prune":{"method":"sparsegpt","n":2,"m":4}}""", PruneScope.PerLayer)]
    [InlineData("""{"prune":{"method":"n:m"}}""", PruneScope.PerLayer)]
    public void Scope_defaults_to_global_except_for_n_of_m_patterns(string pass, PruneScope scope) =>
        Assert.Equal(scope, Assert.IsType<PruneSpec>(Single(pass)).Scope);

    [Fact]
    public void Prune_reads_every_setting()
    {
        var spec = Assert.IsType<PruneSpec>(Single(
            """{"prune":{"method":"sparsegpt","sparsity":0.9,"rounds":3,"schedule":"linear","reconstruct":true,"ridge":0.1,"exclude":["Conv","fc2.weight"],"blockSize":64,"damping":0.05}}"""));

        Assert.Equal((PruneMethod.SparseGpt, 0.9, PruneScope.Global, 3, PruneSchedule.Linear, true, 0.1, 64, 0.05),
            (spec.Method, spec.Sparsity, spec.Scope, spec.Rounds, spec.Schedule, spec.Reconstruct, spec.Ridge, spec.BlockSize, spec.Damping));
        Assert.Equal(["Conv", "fc2.weight"], spec.Exclude);
    }

    [Theory]
    [InlineData("""{"prune":{"method":"n:m"}}""", 2, 4)]
    [InlineData("""{"prune":{"method":"n:m","n":1,"m":8}}""", 1, 8)]
    [InlineData("""{"prune":{"method":"sparsegpt","n":2,"m":4}}""", 2, 4)]
    public void N_of_m_fixes_the_sparsity(string pass, int n, int m)
    {
        var spec = Assert.IsType<PruneSpec>(Single(pass));

        Assert.Equal((n, m, 1 - (n / (double)m)), (spec.N, spec.M, spec.Sparsity));
        Assert.True(spec.IsNOfM);
    }

    [Fact]
    public void Structured_and_lowrank_settings_are_read()
    {
        var structured = Assert.IsType<StructuredPruneSpec>(Single("""{"prune-structured":{"fraction":0.25,"criterion":"taylor","layers":["fc1.weight"],"reconstruct":true}}"""));
        var lowRank = Assert.IsType<LowRankSpec>(Single("""{"lowrank":{"energy":0.95,"exclude":["fc2.weight"]}}"""));

        Assert.Equal((0.25, ChannelCriterion.Taylor, true), (structured.Fraction, structured.Criterion, structured.Reconstruct));
        Assert.Equal(["fc1.weight"], structured.Layers);
        Assert.Equal((null, 0.95), (lowRank.Rank, lowRank.Energy));
        Assert.Equal("lowrank(energy 0.95)", lowRank.Describe());
    }

    [Theory]
    [InlineData("{\"passes\":[{\"prune\":{\"sparsity\":0.5,\n  \"sparse\":1}}]}", "MB2002", 2, 3)]
    [InlineData("{\"passes\":[{\"prune\":{\n\"sparsity\":1.5}}]}", "MB2003", 2, 12)]
    [InlineData("{\"passes\":[{\"prune\":{\"method\":\"random\",\"sparsity\":0.5}}]}", "MB2003", 1, 31)]
    [InlineData("{\"passes\":[{\"prune\":{}}]}", "MB2003", 1, 21)]
    [InlineData("{\"passes\":[{\"prune\":{\"sparsity\":0.5,\"threshold\":0.1}}]}", "MB2003", 1, 49)]
    [InlineData("{\"passes\":[{\"prune\":{\"method\":\"n:m\",\"n\":4,\"m\":4}}]}", "MB2003", 1, 41)]
    [InlineData("{\"passes\":[{\"prune\":{\"method\":\"n:m\",\"sparsity\":0.5}}]}", "MB2003", 1, 48)]
    [InlineData("{\"passes\":[{\"prune\":{\"sparsity\":0.5,\"n\":2}}]}", "MB2003", 1, 41)]
    [InlineData("{\"passes\":[{\"prune\":{\"method\":\"sparsegpt\",\"threshold\":0.1}}]}", "MB2003", 1, 55)]
    [InlineData("{\"passes\":[{\"prune\":{\"sparsity\":0.5,\"rounds\":0}}]}", "MB2003", 1, 46)]
    [InlineData("{\"passes\":[{\"prune\":{\"sparsity\":0.5,\"exclude\":\"Conv\"}}]}", "MB2003", 1, 47)]
    [InlineData("{\"passes\":[{\"prune-structured\":{\"fraction\":0.95}}]}", "MB2003", 1, 44)]
    [InlineData("{\"passes\":[{\"prune-structured\":{\"criterion\":\"l1\"}}]}", "MB2003", 1, 32)]
    [InlineData("{\"passes\":[{\"prune-structured\":{\"fraction\":0.5,\"criterion\":\"l3\"}}]}", "MB2003", 1, 60)]
    [InlineData("{\"passes\":[{\"lowrank\":{}}]}", "MB2003", 1, 23)]
    [InlineData("{\"passes\":[{\"lowrank\":{\"rank\":8,\"energy\":0.9}}]}", "MB2003", 1, 42)]
    [InlineData("{\"passes\":[{\"lowrank\":{\"rank\":2.5}}]}", "MB2003", 1, 31)]
    [InlineData("{\"passes\":[{\"lowrank\":{\"rank\":8,\"ranks\":8}}]}", "MB2002", 1, 33)]
    public void Errors_point_at_the_offending_key_or_value(string json, string code, int line, int column)
    {
        var e = Assert.Throws<ModelBuildException>(() => CompressionManifest.Parse(json, File));

        Assert.Equal((code, File, line, column), (e.Code, e.File, e.Line, e.Column));
    }
}
