using ModelBuild.Compression.Algorithms.ActivationScaling;
using ModelBuild.Compression.Algorithms.Quantization;
using ModelBuild.Compression.Passes.Quantization;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Passes.ActivationScaling;

/// <summary>
/// AWQ (Lin et al., 2023, "AWQ: Activation-aware Weight Quantization for LLM Compression and Acceleration",
/// arXiv:2306.00978): for each Gemm/MatMul/Conv (group 1) layer in graph order, searches s = mean|x|^α on the
/// calibration data for the least output error of the quantised layer (<see cref="AwqScaleSearch"/>), multiplies the
/// weight's columns by s and divides the layer's input by s (<see cref="InputDivision"/>: folded into the producer, or a
/// Mul); then quantises every selected layer as the <c>quantize</c> pass would with the same settings.
/// </summary>
/// <remarks>
/// Scales come from the float model: dividing layer L's input changes only layer L−1's output rows, and
/// round-to-nearest and GPTQ quantise each row on its own scale, so the order of the layers does not matter. A layer
/// whose best α is 0 is left as it is. Needs calibration data (MB2005 otherwise).
/// </remarks>
public sealed class AwqPass(AwqSpec spec) : ICompressionPass
{
    /// <summary>Sample rows (inputs, or im2col patches for a Conv) the search measures output errors on.</summary>
    public const int SampleRows = 512;

    /// <inheritdoc />
    public void Apply(CompressionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = spec.Describe();
        context.RequireCalibration(name);
        var quantize = spec.Quantize;
        var layers = LayerSelection.Included(context, quantize.Exclude, quantize.Layers);
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            if (!LayerInputs.Supported(layer) || (context.Stored.TryGetValue(layer.Name, out var stored) && stored is not SparseMatrix))
            {
                context.Notes.Add($"{AwqSpec.PassName} '{layer.Name}': not scaled (a grouped or non-2-D Conv, or already compressed); quantised as is");
                continue;
            }

            context.Progress?.Report($"{AwqSpec.PassName}: layer {index + 1}/{layers.Count} '{layer.Name}' ({layer.Rows}×{layer.Cols}), searching α");
            var inputs = LayerInputs.Record(context, layer, name, SampleRows);
            var w = Array.ConvertAll(context.GetMatrix(layer), v => (double)v);
            var options = new GridOptions(quantize.Bits, quantize.Weights == WeightType.Ternary, quantize.Symmetric,
                quantize.Granularity == QuantGranularity.PerGroup ? quantize.GroupSize : layer.Cols, quantize.Granularity == QuantGranularity.PerTensor);
            var found = AwqScaleSearch.Search(w, layer.Rows, layer.Cols, inputs.MeanAbs, inputs.Rows, inputs.RowCount, options, spec.GridSteps,
                LayerSelection.PrunedMask(context, layer));
            var errors = FormattableString.Invariant(
                $"relative output error² on {inputs.RowCount} calibration rows {Relative(found.Error, found)} (plain RTN {Relative(found.PlainError, found)})");
            if (found.Alpha == 0)
            {
                context.Notes.Add($"{AwqSpec.PassName} '{layer.Name}': α = 0 is best (no scaling), {errors}");
                continue;
            }

            var how = InputDivision.ScaleLayer(context, layer, found.ChannelScales, AwqSpec.PassName);
            context.Notes.Add(FormattableString.Invariant($"{AwqSpec.PassName} '{layer.Name}': α = {found.Alpha:0.##}, {errors}; {how}"));
        }

        context.InvalidateActivations();
        new LinearQuantizePass(quantize).Apply(context);
    }

    private static string Relative(double error, AwqScales found) =>
        found.Reference > 0 ? (error / found.Reference).ToString("0.####e+0", System.Globalization.CultureInfo.InvariantCulture) : "0";
}
