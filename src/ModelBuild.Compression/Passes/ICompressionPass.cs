namespace ModelBuild.Compression.Passes;

/// <summary>
/// One step of the manifest, applied in order to the shared <see cref="CompressionContext"/>: it may rewrite the
/// graph (structured pruning, low rank), change float weights (pruning, GPTQ updates, reconstruction) and choose
/// how weights are stored (<see cref="CompressionContext.Stored"/>).
/// </summary>
public interface ICompressionPass
{
    void Apply(CompressionContext context);
}
