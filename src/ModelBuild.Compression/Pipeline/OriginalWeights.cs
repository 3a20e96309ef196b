using System.Collections;
using System.Diagnostics.CodeAnalysis;
using ModelBuild.Compression.Passes;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// The layers' original float weights (matrix view) by name, for the report's error measures, computed each time one
/// is looked up from the tensors as they were before the passes rather than held: for an external-data model those
/// tensors are deferred, so this costs one layer's floats at a time instead of a second copy of the model (issue 12).
/// </summary>
internal sealed class OriginalWeights(CompressionContext context) : IReadOnlyDictionary<string, float[]>, Reporting.IWeightLengths
{
    private readonly Dictionary<string, (LayerWeight Layer, Tensor Tensor)> _layers =
        context.Layers().ToDictionary(l => l.Name, l => (l, context.Graph.GetInitializer(l.Name)!), StringComparer.Ordinal);

    public float[] this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => _layers.Keys;

    public IEnumerable<float[]> Values => _layers.Values.Select(v => Equivalent(v.Layer, v.Tensor));

    public int Count => _layers.Count;

    /// <inheritdoc/>
    public long Length(string key) => (long)_layers[key].Layer.Rows * _layers[key].Layer.Cols;

    public bool ContainsKey(string key) => _layers.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out float[] value)
    {
        value = _layers.TryGetValue(key, out var entry) ? Equivalent(entry.Layer, entry.Tensor) : null;
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, float[]>> GetEnumerator() =>
        _layers.Select(p => KeyValuePair.Create(p.Key, Equivalent(p.Value.Layer, p.Value.Tensor))).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The original matrix times the factors AWQ/SmoothQuant moved into it (the same function, as the weights the
    /// passes then compressed), so the report's weight errors measure compression, not the rescaling.
    /// </summary>
    private float[] Equivalent(LayerWeight layer, Tensor tensor)
    {
        var matrix = CompressionContext.MatrixOf(layer, tensor);
        return context.Rescaled.TryGetValue(layer.Name, out var rescale) ? rescale.Apply(matrix, layer.Rows, layer.Cols, undo: false) : matrix;
    }
}
