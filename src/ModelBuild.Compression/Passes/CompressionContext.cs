using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Representation;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes;

/// <summary>The state the manifest's passes share: the graph, storage decisions, calibration data and helpers.</summary>
public sealed class CompressionContext
{
    private static readonly object AdmittedMark = new();
    private readonly Dictionary<string, LayerInputs> _inputs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _keptExact = new(StringComparer.Ordinal);

    // Weight tensors already screened and admitted. A Tensor's values never change (deferred ones re-produce the same
    // bytes), so one screen per tensor object suffices; without this every Layers() call decoded every weight of the
    // model again (a full float32 pass over a multi-GB model, several times per build). Weak keys: a replaced
    // tensor is not kept alive by this.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Tensor, object> _admitted = new();

    /// <summary>
    /// Creates the context the passes share. <paramref name="services"/> (how to record activations and score
    /// candidates: ONNX Runtime, from ModelBuild.Evaluation) may be null only when <paramref name="calibration"/> is,
    /// since every use of them needs calibration data.
    /// </summary>
    public CompressionContext(ModelGraph graph, string modelPath, string manifestPath, CalibrationSet? calibration, IProgress<string>? progress,
        CompressionServices? services = null)
    {
        if (calibration is not null && services is null)
        {
            throw new ArgumentNullException(nameof(services), "calibration data needs the services that run the model on it");
        }

        Graph = graph;
        ModelPath = modelPath;
        ManifestPath = manifestPath;
        Calibration = calibration;
        Progress = progress;
        Services = services;
    }

    public ModelGraph Graph { get; }

    public string ModelPath { get; }

    public string ManifestPath { get; }

    public CalibrationSet? Calibration { get; }

    public IProgress<string>? Progress { get; }

    /// <summary>Activation recording and model scoring; null only when there is no calibration data.</summary>
    public CompressionServices? Services { get; }

    /// <summary>Storage decisions by weight name (matrix view). Weights not listed are stored as float32.</summary>
    public Dictionary<string, StoredMatrix> Stored { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Factors AWQ and SmoothQuant multiplied into weights (by weight name) while keeping the model's function: the
    /// report divides them out to compare compressed weights with the originals.
    /// </summary>
    public Dictionary<string, ActivationScaling.WeightRescale> Rescaled { get; } = new(StringComparer.Ordinal);

    /// <summary>Set by the <c>entropy</c> pass: Brotli-compress the blob's payload (decoded once at load).</summary>
    public bool EntropyCoding { get; set; }

    /// <summary>The manifest's <c>nonFinite</c>: weights with NaN/±Inf fail the build (MB3004) or stay out of every pass.</summary>
    public Manifest.NonFinitePolicy NonFinite { get; init; }

    /// <summary>Lines for the report ("what the pass did"), in order.</summary>
    public List<string> Notes { get; } = new();

    /// <summary>Layers (by weight name) the <c>quantize-activations</c> pass gave 8-bit activations, and how.</summary>
    public Dictionary<string, Activations.ActivationQuantization> ActivationQuant { get; } = new(StringComparer.Ordinal);

    /// <summary>MSBuild warning lines (<c>file: warning MB####: text</c>) from the passes, e.g. a pass that changed nothing.</summary>
    public List<string> Warnings { get; } = new();

    /// <summary>The calibration data, or MB2005 naming the pass that needs it.</summary>
    public CalibrationSet RequireCalibration(string passName) => Calibration
        ?? throw new ModelBuildException("MB2005", ManifestPath,
            $"the pass '{passName}' needs calibration data; add \"calibration\": {{ \"images\": \"...\", \"preprocessing\": \"...\", \"count\": 256 }} to the manifest.");

    /// <summary>Weights that multiply activations (Conv, Gemm, MatMul), in graph order; every pass finds its weights here.</summary>
    public IReadOnlyList<LayerWeight> Layers()
    {
        var result = new List<LayerWeight>();
        foreach (var weight in WeightRoles.FindMatrixWeights(Graph))
        {
            var tensor = Graph.GetInitializer(weight.Name)!;
            var node = Graph.Nodes.First(n => n.InputOrNull(1) == weight.Name);
            if (!_admitted.TryGetValue(tensor, out _))
            {
                if (!WeightScreen.Admit(tensor, node, NonFinite, ModelPath, _keptExact, Notes))
                {
                    continue;
                }

                _admitted.AddOrUpdate(tensor, AdmittedMark);
                Pipeline.LargeModelMemory.AfterLayer(tensor.ElementCount); // the screen read the whole tensor: garbage now
            }

            var rows = (int)tensor.Dims[weight.OutputAxis];
            var cols = (int)(tensor.ElementCount / Math.Max(1, rows));
            result.Add(new LayerWeight(weight.Name, node, rows, cols, weight.OutputAxis == 0 ? MatrixLayout.RowsFirst : MatrixLayout.ColumnsFirst)
            {
                OriginalName = Graph.OriginalName(weight.Name),
            });
        }

        return result;
    }

    /// <summary>The layer's current float weights as its matrix view, row-major.</summary>
    public float[] GetMatrix(LayerWeight layer) => MatrixOf(layer, Graph.GetInitializer(layer.Name)!);

    /// <summary><paramref name="tensor"/>'s values as <paramref name="layer"/>'s matrix view (rows × cols, row-major).</summary>
    public static float[] MatrixOf(LayerWeight layer, Tensor tensor)
    {
        if (layer.Layout == MatrixLayout.ColumnsFirst && tensor.DataType == DataType.Float)
        {
            // Transposed straight from the little-endian bytes: one float32 copy of a large layer fewer (issue 12).
            var raw = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.AsSpan());
            return Planning.Lowering.LoweringContext.Transpose(raw, layer.Cols, layer.Rows);
        }

        var values = tensor.ToFloats();
        return layer.Layout == MatrixLayout.RowsFirst ? values : Planning.Lowering.LoweringContext.Transpose(values, layer.Cols, layer.Rows);
    }

    /// <summary>
    /// Replaces the layer's float weights by <paramref name="stored"/>'s decoded values without holding them: the
    /// graph's tensor is deferred (<see cref="Tensor.Deferred"/>) and decodes again when read, so a model's float
    /// weights are never all in memory at once (issue 12). <paramref name="decoded"/>, when given, is what the caller
    /// computed; if the stored form does not decode to it bit for bit it is kept instead, as <see cref="SetMatrix"/> would.
    /// </summary>
    public void SetDecoded(LayerWeight layer, StoredMatrix stored, float[]? decoded = null)
    {
        if (decoded is not null && !System.Runtime.InteropServices.MemoryMarshal.AsBytes(stored.Decode().AsSpan())
                .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(decoded.AsSpan())))
        {
            SetMatrix(layer, decoded);
            return;
        }

        var dims = Graph.GetInitializer(layer.Name)!.Dims;
        var bytes = checked((long)layer.Rows * layer.Cols * sizeof(float));
        Graph.SetInitializer(new Tensor(layer.Name, DataType.Float, dims, bytes, () =>
        {
            // Decoded, then laid out straight into the tensor's bytes: two float32 copies of a large layer, not three.
            var matrix = stored.Decode();
            var bytes = new byte[checked(matrix.Length * sizeof(float))];
            var target = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
            if (layer.Layout == MatrixLayout.RowsFirst)
            {
                matrix.CopyTo(target);
            }
            else
            {
                Planning.Lowering.LoweringContext.Transpose(matrix, layer.Rows, layer.Cols, target);
            }

            return bytes;
        }));
        _inputs.Remove(layer.Name);
    }

    /// <summary>Replaces the layer's float weights (matrix view, row-major); the graph keeps its layout.</summary>
    public void SetMatrix(LayerWeight layer, float[] matrix)
    {
        var tensor = Graph.GetInitializer(layer.Name)!;
        var values = layer.Layout == MatrixLayout.RowsFirst ? matrix : Planning.Lowering.LoweringContext.Transpose(matrix, layer.Rows, layer.Cols);
        Graph.SetInitializer(Tensor.FromFloats(layer.Name, tensor.Dims, values));
        _inputs.Remove(layer.Name);
    }

    /// <summary>Runs the current graph on the calibration samples and returns the named values (see <see cref="IActivationRecorder"/>).</summary>
    public IReadOnlyDictionary<string, (float[] Data, int[] Shape)> Record(IReadOnlyList<string> values, string passName)
    {
        var calibration = RequireCalibration(passName);
        return Services!.Activations.Record(Graph, values, calibration);
    }

    /// <summary>
    /// The layer's input second moment H = XᵀX / n (cols × cols, row-major, float64), X being the rows the layer
    /// multiplies: one per sample for Gemm/MatMul, one im2col patch per output pixel for Conv. GPTQ and SparseGPT
    /// use it; it is computed from the current graph's recorded inputs (<see cref="InputsOf"/>), cached until the
    /// layer's weights change. Do not modify it.
    /// </summary>
    public double[] InputHessian(LayerWeight layer, string passName) => InputsOf(layer, passName).Hessian();

    /// <summary>
    /// The layer's inputs on the calibration data as rows or H, whichever is smaller (<see cref="LayerInputs"/>),
    /// recorded from the current graph and cached until the layer's weights change.
    /// </summary>
    public LayerInputs InputsOf(LayerWeight layer, string passName)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (_inputs.TryGetValue(layer.Name, out var cached))
        {
            return cached;
        }

        var (data, shape) = Record([layer.InputValue], passName)[layer.InputValue];
        var inputs = LayerInputs.FromRecorded(layer, data, shape);
        _inputs[layer.Name] = inputs;
        return inputs;
    }

    /// <summary>
    /// Records the inputs of <paramref name="layers"/> not yet cached in one run of the model when they are small in
    /// all (≤ <see cref="BatchedRecordingBytes"/>, judged from the inferred shapes), instead of one run per layer: each
    /// run loads the whole model into ONNX Runtime. Larger or unknown ones are left to <see cref="InputsOf"/>.
    /// </summary>
    public void RecordInputs(IReadOnlyList<LayerWeight> layers, string passName)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var calibration = RequireCalibration(passName);
        var missing = layers.Where(l => !_inputs.ContainsKey(l.Name) && !l.IsConv).ToList();
        var perSample = missing.Select(l => PerSampleValues(l.InputValue)).ToList();
        if (missing.Count < 2 || perSample.Contains(null)
            || perSample.Sum(n => Math.Min(n!.Value, BatchedRecordingBytes)) * calibration.Count * sizeof(float) > BatchedRecordingBytes)
        {
            return;
        }

        var recorded = Record(missing.Select(l => l.InputValue).Distinct(StringComparer.Ordinal).ToList(), passName);
        foreach (var layer in missing)
        {
            var (data, shape) = recorded[layer.InputValue];
            _inputs[layer.Name] = LayerInputs.FromRecorded(layer, data, shape);
        }
    }

    /// <summary>The most recorded activations <see cref="RecordInputs"/> holds at once (all layers, all samples).</summary>
    public const long BatchedRecordingBytes = 256L << 20;

    /// <summary>Values per sample of <paramref name="value"/> (its inferred shape after the batch dim), or null when not known.</summary>
    private long? PerSampleValues(string value) =>
        Graph.GetValueInfo(value)?.Shape is { Rank: > 0 } shape && shape.Skip(1).All(d => d.IsKnown)
            ? shape.Skip(1).Aggregate(1L, (a, d) => a * d.Value!.Value)
            : null;

    /// <summary>Forgets cached Hessians (after a pass changed weights the later layers' inputs depend on).</summary>
    public void InvalidateActivations() => _inputs.Clear();
}
