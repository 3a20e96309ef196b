using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Passes.Activations;

/// <summary>
/// The <c>quantize-activations</c> pass: marks each selected Gemm/MatMul/Conv layer for 8-bit activations
/// (<see cref="CompressionContext.ActivationQuant"/>), first quantising its weight to int8 symmetric per channel when it
/// is still float32. Static mode calibrates one scale and zero point per layer from the range of its input over the
/// calibration data, with DynamicQuantizeLinear's formula (so static and dynamic agree on data like the calibration set).
/// </summary>
public sealed class ActivationQuantizePass(ActivationQuantizeSpec spec) : ICompressionPass
{
    /// <inheritdoc />
    public void Apply(CompressionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (spec.Mode == ActivationMode.Static)
        {
            context.RequireCalibration(spec.Describe());
        }

        var layers = Quantization.LayerSelection.Included(context, spec.Exclude, spec.Layers);
        RaiseOpset(context, layers);
        var eligible = new List<LayerWeight>();
        foreach (var layer in layers)
        {
            if (ActivationQuantization.Refusal(context.Graph, layer) is { } reason)
            {
                context.Notes.Add($"{ActivationQuantizeSpec.PassName} '{layer.Name}': float activations kept, {reason}");
                continue;
            }

            if (context.Stored.ContainsKey(layer.Name) && !ActivationQuantization.Applies(context.Stored[layer.Name]))
            {
                context.Notes.Add($"{ActivationQuantizeSpec.PassName} '{layer.Name}': float activations kept, its weight is stored as {context.Stored[layer.Name].Describe()} (8-bit activations need int8 symmetric per-channel weights)");
                continue;
            }

            eligible.Add(layer);
        }

        var floatWeights = eligible.Where(l => !context.Stored.ContainsKey(l.Name)).Select(l => l.Name).ToList();
        if (floatWeights.Count > 0)
        {
            new LinearQuantizePass(new QuantizeSpec(WeightType.Int8, QuantGranularity.PerChannel, Symmetric: true) { Layers = floatWeights }).Apply(context);
        }

        var ranges = spec.Mode == ActivationMode.Static && eligible.Count > 0
            ? context.Record(eligible.Select(l => l.InputValue).Distinct(StringComparer.Ordinal).ToList(), spec.Describe())
            : null;
        foreach (var layer in eligible)
        {
            var decision = new ActivationQuantization(0, 0);
            if (ranges is not null)
            {
                var (scale, zeroPoint) = Calibrate(ranges[layer.InputValue].Data);
                decision = new ActivationQuantization(scale, zeroPoint);
            }

            context.ActivationQuant[layer.Name] = decision;
            context.Notes.Add(decision.IsDynamic
                ? $"{ActivationQuantizeSpec.PassName} '{layer.Name}': 8-bit activations, scale and zero point computed per call from the input (DynamicQuantizeLinear)"
                : FormattableString.Invariant($"{ActivationQuantizeSpec.PassName} '{layer.Name}': 8-bit activations, static input scale {decision.Scale:R}, zero point {decision.ZeroPoint} (the input's range on the calibration data)"));
        }
    }

    /// <summary>
    /// Raises an opset 7–10 model to 11 (<see cref="OpsetRaise"/>) when some selected layer could then take 8-bit
    /// activations and no operator in the graph changes meaning; notes either way.
    /// </summary>
    private static void RaiseOpset(CompressionContext context, IEnumerable<LayerWeight> layers)
    {
        var graph = context.Graph;
        var from = graph.DefaultOpset;
        if (from >= OpsetRaise.Target || !layers.Any(l => ActivationQuantization.Refusal(graph, l, OpsetRaise.Target) is null))
        {
            return;
        }

        if (OpsetRaise.Refusal(graph) is { } reason)
        {
            context.Notes.Add($"{ActivationQuantizeSpec.PassName}: opset {from} kept, so float activations everywhere: it cannot be raised to {OpsetRaise.Target} for DynamicQuantizeLinear: {reason}");
            return;
        }

        OpsetRaise.Apply(graph);
        context.Notes.Add($"{ActivationQuantizeSpec.PassName}: opset raised from {from} to {OpsetRaise.Target} for DynamicQuantizeLinear/ConvInteger (no operator in the graph changes meaning between them, per the ONNX operator changelog)");
    }

    /// <summary>
    /// ONNX DynamicQuantizeLinear's parameters over all calibration inputs, in float arithmetic as the runtime's:
    /// the range widened to include 0, scale = (max − min)/255 (1 for an empty range), zero point = round(−min/scale).
    /// </summary>
    internal static (float Scale, int ZeroPoint) Calibrate(ReadOnlySpan<float> values)
    {
        float min = 0, max = 0;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                min = MathF.Min(min, v);
                max = MathF.Max(max, v);
            }
        }

        var scale = max == min ? 1f : (max - min) / 255f;
        var zeroPoint = (int)MathF.Round(Math.Clamp(0 - (min / scale), 0f, 255f), MidpointRounding.ToEven);
        return (scale, zeroPoint);
    }
}
