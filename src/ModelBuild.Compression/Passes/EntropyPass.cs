namespace ModelBuild.Compression.Passes;

/// <summary>Asks the blob writer to Brotli-compress the payload (CONTRACTS.md §2 flag bit 0).</summary>
public sealed class EntropyPass : ICompressionPass
{
    public void Apply(CompressionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.EntropyCoding = true;
        context.Notes.Add("entropy: Brotli-compressed payload (quality 11, window 22), decoded once at load");
    }
}
