using ModelBuild.Compression.Passes;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// Each layer's relative output error on the calibration data, ‖WX − ŴX‖ / ‖WX‖, computed from the input second
/// moment H = XᵀX/n of the original model as sqrt(Σ ΔW H ΔWᵀ / Σ W H Wᵀ): no second pass over the data.
/// </summary>
internal static class OutputErrors
{
    /// <summary>
    /// The original model's inputs per layer (as rows or H, whichever is smaller: <see cref="LayerInputs"/>), or null
    /// without calibration data; recorded in one run of the model when they are small.
    /// </summary>
    public static Dictionary<string, LayerInputs>? Moments(CompressionContext context)
    {
        if (context.Calibration is null)
        {
            return null;
        }

        var layers = context.Layers();
        context.RecordInputs(layers, "report");
        return layers.ToDictionary(l => l.Name, l => context.InputsOf(l, "report"), StringComparer.Ordinal);
    }

    public static Dictionary<string, double> Measure(CompressionContext context, IReadOnlyDictionary<string, LayerInputs> moments, IReadOnlyDictionary<string, float[]> originals)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var layer in context.Layers())
        {
            if (!moments.TryGetValue(layer.Name, out var h) || !originals.TryGetValue(layer.Name, out var w) || h.Cols != layer.Cols
                || w.Length != layer.Rows * layer.Cols)
            {
                continue; // reshaped by structured pruning or low rank: no like-for-like comparison
            }

            var compressed = context.Stored.TryGetValue(layer.Name, out var stored) ? stored.Decode() : context.GetMatrix(layer);
            if (context.Rescaled.TryGetValue(layer.Name, out var rescale))
            {
                // H is the original input's: compare in the original model's terms (AWQ/SmoothQuant divided the input by s).
                (w, compressed) = (rescale.Apply(w, layer.Rows, layer.Cols, undo: true), rescale.Apply(compressed, layer.Rows, layer.Cols, undo: true));
            }

            double error = 0, signal = 0;
            var delta = new double[layer.Cols];
            var row = new double[layer.Cols];
            for (var r = 0; r < layer.Rows; r++)
            {
                for (var c = 0; c < layer.Cols; c++)
                {
                    row[c] = w[(r * layer.Cols) + c];
                    delta[c] = row[c] - compressed[(r * layer.Cols) + c];
                }

                error += h.OutputEnergy(delta);
                signal += h.OutputEnergy(row);
            }

            result[layer.Name] = signal > 0 ? Math.Sqrt(Math.Max(0, error) / signal) : 0;
            LargeModelMemory.AfterLayer((long)layer.Rows * layer.Cols); // the original and the decode are garbage now
        }

        return result;
    }
}
