using ModelBuild.Compression.Representation;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Reporting;

/// <summary>Optional data that the Markdown and HTML reports show; the JSON form ignores it.</summary>
public sealed partial record CompressionReport
{
    /// <summary>The generated class name (e.g. <c>MnistModel</c>); the report falls back to the file name.</summary>
    public string? ModelName { get; init; }

    /// <summary>The manifest's accuracy bound, when it has one (the summary then says whether it is met).</summary>
    public Manifest.ToleranceSpec? Tolerance { get; init; }

    /// <summary>The manifest as applied (its JSON text), shown verbatim; null shows <see cref="ManifestDescription"/>.</summary>
    public string? ManifestText { get; init; }

    /// <summary>What the passes did, one line each (the Markdown report's "What the passes did").</summary>
    public IReadOnlyList<string>? Notes { get; init; }

    /// <summary>One layer's weights binned before and after (see <see cref="WeightHistogram.ForLargest"/>).</summary>
    public WeightHistogram? Histogram { get; init; }

    /// <summary>
    /// Whether the <c>entropy</c> pass ran: the blob then holds the stored tensors Brotli-compressed, so it is smaller
    /// than <see cref="CompressionReport.TotalStoredBytes"/>, which counts them before entropy coding.
    /// </summary>
    public bool EntropyCoded { get; init; }

    /// <summary>Time per pass, in order.</summary>
    public IReadOnlyList<PassTiming>? Timings { get; init; }

    /// <summary>Configurations the automatic mode tried, for the size/accuracy plot.</summary>
    public IReadOnlyList<TriedPoint>? TriedPoints { get; init; }

    /// <summary>
    /// What <see cref="TriedPoint.Metric"/> measures (e.g. <c>calibration loss</c>), for the plot's axis; null means
    /// the accuracy metric, and only then are the original score and the tolerance drawn as reference lines.
    /// </summary>
    public string? TriedMetric { get; init; }

    /// <summary>
    /// This report with each row's sparsity (fraction of exactly-zero stored values) and operator filled in, and the
    /// histogram of the largest weight, from the pipeline's originals and storage decisions.
    /// </summary>
    /// <param name="originals">Original weights by name (matrix view).</param>
    /// <param name="stored">Stored representations by name.</param>
    /// <param name="ops">The operator using each weight (e.g. <c>Conv</c>), when known.</param>
    public CompressionReport WithWeightDetails(
        IReadOnlyDictionary<string, float[]> originals,
        IReadOnlyDictionary<string, StoredMatrix> stored,
        IReadOnlyDictionary<string, string>? ops = null)
    {
        ArgumentNullException.ThrowIfNull(originals);
        ArgumentNullException.ThrowIfNull(stored);
        var rows = Weights.Select(row =>
        {
            var op = ops is not null && ops.TryGetValue(row.Name, out var o) ? o : row.Op;
            double? sparsity = stored.TryGetValue(row.Name, out var s) ? ZeroFraction(s.Decode())
                : originals.TryGetValue(row.Name, out var f) ? ZeroFraction(f) : row.Sparsity;
            Pipeline.LargeModelMemory.AfterLayer(row.Dims.Aggregate(1L, (a, d) => a * d)); // the decoded layer is garbage now: collected before the next (issue 12)
            return row with { Op = op, Sparsity = sparsity };
        }).ToList();
        return this with { Weights = rows, Histogram = WeightHistogram.ForLargest(originals, stored) ?? Histogram };
    }

    /// <summary>
    /// The operator that reads each initializer (the first in graph order), for <see cref="WithWeightDetails"/>.
    /// Take it before the compressed ONNX is built: that rewrites quantised weights into DequantizeLinear nodes.
    /// </summary>
    /// <param name="graph">The model graph.</param>
    public static IReadOnlyDictionary<string, string> OperatorsByWeight(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            foreach (var input in node.Inputs)
            {
                if (input.Length > 0 && graph.GetInitializer(input) is not null)
                {
                    result.TryAdd(input, node.OpType);
                }
            }
        }

        return result;
    }

    private static double ZeroFraction(float[] values) => values.Length == 0 ? 0 : values.Count(v => v == 0) / (double)values.Length;
}

/// <summary>Optional per-weight data that the Markdown and HTML reports show.</summary>
public sealed partial record WeightReportRow
{
    /// <summary>The operator that uses the weight (e.g. <c>Conv</c>, <c>Gemm</c>), when known.</summary>
    public string? Op { get; init; }

    /// <summary>Fraction of stored values that are exactly zero, when measured.</summary>
    public double? Sparsity { get; init; }

    /// <summary>How much the metric drops when only this weight is compressed, when measured.</summary>
    public double? Sensitivity { get; init; }

    /// <summary>Relative output error ‖WX − ŴX‖/‖WX‖ on the calibration data, when calibration data was given.</summary>
    public double? OutputError { get; init; }

    /// <summary>Number of elements.</summary>
    public long Parameters => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Stored bits per element, scales, zero points and codebooks included.</summary>
    public double BitsPerWeight => Parameters == 0 ? 0 : StoredBytes * 8.0 / Parameters;
}
