namespace ModelBuild.Compression.Passes.Pruning;

/// <summary>Structured pruning: removes whole output channels and cuts the consumers' inputs to match.</summary>
public sealed class StructuredPrunePass(StructuredPruneSpec spec) : ICompressionPass
{
    /// <inheritdoc />
    public void Apply(CompressionContext context) => context.Notes.Add($"{spec.Describe()}: not implemented yet.");
}
