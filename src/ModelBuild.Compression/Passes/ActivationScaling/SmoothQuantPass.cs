using ModelBuild.Compression.Algorithms.ActivationScaling;
using ModelBuild.Compression.Passes.Quantization;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Passes.ActivationScaling;

/// <summary>
/// SmoothQuant (Xiao et al., 2023, "SmoothQuant: Accurate and Efficient Post-Training Quantization for Large Language
/// Models", arXiv:2211.10438): for each Gemm/MatMul/Conv (group 1) layer, s = max|X|^α / max|W|^(1−α) per input
/// channel (<see cref="SmoothQuantScales"/>) from the calibration data; the weight's columns are multiplied by s and the
/// input divided by s (<see cref="InputDivision"/>: folded into the producer, or a Mul before the layer). Weights stay
/// float32: a <c>quantize</c> pass (int8) follows, and int8 activations come from the runtime's int8-activation mode.
/// </summary>
/// <remarks>
/// Each layer's note gives its simulated W8A8 output error before and after (<see cref="SimulatedW8A8"/>: per-tensor
/// int8 activations, per-channel int8 weights), so the effect is visible without the int8-activation runtime. A layer
/// whose simulated error would not drop is left unscaled (the paper applies the migration unconditionally; here an
/// unhelpful one would only cost a Mul). Needs calibration data (MB2005 otherwise).
/// </remarks>
public sealed class SmoothQuantPass(SmoothQuantSpec spec) : ICompressionPass
{
    /// <summary>Sample rows (inputs, or im2col patches for a Conv) the simulated error is measured on.</summary>
    public const int SampleRows = 512;

    /// <inheritdoc />
    public void Apply(CompressionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = spec.Describe();
        context.RequireCalibration(name);
        var layers = LayerSelection.Included(context, spec.Exclude, spec.Layers);
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            if (!LayerInputs.Supported(layer) || (context.Stored.TryGetValue(layer.Name, out var stored) && stored is not SparseMatrix))
            {
                context.Notes.Add($"{SmoothQuantSpec.PassName} '{layer.Name}': not scaled (a grouped or non-2-D Conv, or already compressed)");
                continue;
            }

            context.Progress?.Report($"{SmoothQuantSpec.PassName}: layer {index + 1}/{layers.Count} '{layer.Name}' ({layer.Rows}×{layer.Cols})");
            var inputs = LayerInputs.Record(context, layer, name, SampleRows);
            var w = Array.ConvertAll(context.GetMatrix(layer), v => (double)v);
            var s = SmoothQuantScales.Compute(inputs.MaxAbs, ChannelBlocks.MaxAbs(w, layer.Cols, inputs.Channels), spec.Alpha);
            var before = SimulatedW8A8.RelativeError(w, layer.Rows, layer.Cols, Enumerable.Repeat(1.0, inputs.Channels).ToArray(), inputs.MaxAbs, inputs.Rows, inputs.RowCount);
            var after = SimulatedW8A8.RelativeError(w, layer.Rows, layer.Cols, s, inputs.MaxAbs, inputs.Rows, inputs.RowCount);
            var errors = FormattableString.Invariant($"simulated W8A8 relative output error² {before:0.####e+0} → {after:0.####e+0}");
            if (after >= before)
            {
                context.Notes.Add($"{SmoothQuantSpec.PassName} '{layer.Name}': not scaled, the migration would not lower the {errors}");
                continue;
            }

            var how = InputDivision.ScaleLayer(context, layer, s, SmoothQuantSpec.PassName);
            context.Notes.Add($"{SmoothQuantSpec.PassName} '{layer.Name}': {errors}; {how}");
        }

        context.InvalidateActivations();
    }
}
