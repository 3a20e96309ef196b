using ModelBuild.Compression.Manifest;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// What a model without a manifest gets: the default int8 compression, checked against the original model on seeded
/// synthetic inputs, so zero-config builds need no MB5002 warning. The bound is loose enough for any sane int8
/// result and tight enough to catch a broken one (README: "Zero configuration").
/// </summary>
internal static class DefaultGate
{
    /// <summary>Samples drawn from U[0, 1) with a fixed seed: the same inputs on every machine and every build.</summary>
    public const int SampleCount = 64;

    /// <summary>Mean cosine similarity of the outputs, original vs compressed, that the default int8 must reach.</summary>
    public const double MinCosine = 0.99;

    /// <summary>Largest synthetic sample drawn (16 M floats): beyond it the model is not drawn for, it is refused or warned about.</summary>
    private const double MaxSampleElements = 1 << 24;

    /// <summary>Largest tensor per sample (any value the model computes) the synthetic gate runs: 256 MiB.</summary>
    private const double MaxTensorBytes = 256.0 * 1024 * 1024;

    /// <summary>
    /// The default manifest with a synthetic validation section, or null when the model's inputs cannot be drawn
    /// (not a single float tensor with every dimension but the batch fixed).
    /// </summary>
    public static CompressionManifest? For(ModelGraph graph, string modelPath)
    {
        if (graph.Inputs is not [{ ElementType: DataType.Float, Shape: { Rank: >= 2 } shape }] || !shape.Skip(1).All(d => d.IsKnown)
            || shape.Skip(1).Aggregate(1.0, (p, d) => p * d.Value!.Value) > MaxSampleElements)
        {
            // Inputs the planner will refuse (too large) or that cannot be drawn: no synthetic gate (MB5002 explains).
            return null;
        }

        if (Planning.TensorSizeLimit.Largest(graph, 1) is { Bytes: > MaxTensorBytes })
        {
            // 64 samples through a model with a tensor this large take minutes in ONNX Runtime (a fuzzed Pad just
            // over 256 MiB per sample outran the fuzzer's 30 s watchdog): no synthetic gate (MB5002 explains).
            return null;
        }

        var data = new DatasetSection
        {
            Format = "synthetic",
            Images = "uniform:0,1;seed=1",
            SampleShape = shape.Skip(1).Select(d => checked((int)d.Value!.Value)).ToArray(),
            Count = SampleCount,
            SourceFile = modelPath,
        };
        return new CompressionManifest(CompressionManifest.Default.Passes, path: modelPath)
        {
            Validation = new ValidationSpec(data, ValidationMetric.Cosine),
            Tolerance = new ToleranceSpec("minCosine", MinCosine),
        };
    }
}
