using ModelBuild.Compression.Algorithms.Quantization;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes.Quantization;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Passes;

/// <summary>
/// Linear quantisation of every Conv/Gemm/MatMul weight not excluded: round to nearest, GPTQ or AdaRound, optional fp16
/// outliers, bias correction and BRECQ-style block refit (<see cref="BlockRefit"/>); or fp16/bf16 storage.
/// </summary>
/// <remarks>
/// Layers are done in graph order, and each layer's float weights are replaced by their decoded values before the
/// next one: GPTQ's Hessian and the bias correction of later layers then see the inputs the compressed model
/// really produces, and later passes start from what is stored. A pruning pass's zeros stay exactly zero.
/// </remarks>
public sealed class LinearQuantizePass(QuantizeSpec spec) : ICompressionPass
{
    /// <inheritdoc />
    public void Apply(CompressionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (spec.Method != QuantMethod.Rtn || spec.BiasCorrection || spec.BlockRefit)
        {
            context.RequireCalibration(Describe());
        }

        if (spec.Method != QuantMethod.Rtn)
        {
            // Hessians cached by earlier passes (or the report's statistics) describe inputs before this pass's own
            // earlier layers were quantised: start fresh, so each layer sees the inputs the compressed model produces
            // and the result depends only on the weights the pass starts from (auto's pinned manifest relies on it).
            context.InvalidateActivations();
        }

        var layers = LayerSelection.Included(context, spec.Exclude, spec.Layers);
        var targets = spec.BlockRefit ? BlockRefit.RecordTargets(context, layers, Describe()) : null;
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            context.Progress?.Report($"{QuantizeSpec.PassName}: layer {index + 1}/{layers.Count} '{layer.Name}' ({layer.Rows}×{layer.Cols}, {spec.Method})");
            var before = spec.BiasCorrection ? BiasCorrection.OutputMeans(context, layer, Describe()) : null;
            var original = context.GetMatrix(layer);
            Pipeline.LargeModelMemory.AfterLayer((long)layer.Rows * layer.Cols); // the bytes read and their untransposed floats
            var (stored, decoded) = Quantize(context, layer, original);
            Pipeline.LargeModelMemory.AfterLayer((long)layer.Rows * layer.Cols); // the float64 copy the quantiser worked on
            context.Stored[layer.Name] = LayerSelection.KeepSparsity(context, layer, stored);
            context.SetDecoded(layer, stored, decoded); // not held as float32: re-decoded when read (issue 12)
            var (relative, mse) = LayerSelection.Error(original, decoded);
            var method = spec.Method switch { QuantMethod.Gptq => " (GPTQ)", QuantMethod.AdaRound => " (AdaRound)", _ => "" };
            var note = FormattableString.Invariant(
                $"{QuantizeSpec.PassName} '{layer.Name}': {stored.Describe()}{method}, {spec.Bits} bits, relative weight error {relative:0.####}, MSE {mse:0.###e+0}");
            if (before is not null)
            {
                var after = BiasCorrection.OutputMeans(context, layer, Describe());
                var shift = BiasCorrection.Apply(context, layer, before.Select((b, i) => b - after[i]).ToArray());
                note += shift is { } s ? FormattableString.Invariant($", bias corrected by {s:0.###e+0} on average") : ", no bias to correct";
            }

            context.Notes.Add(note);
            if (targets is not null)
            {
                context.Notes.Add(BlockRefit.Apply(context, layer, targets[layer.Name], Describe()));
                targets.Remove(layer.Name); // the original outputs are needed once
            }

            // The layer's float32 copies are garbage now, and so are a calibrated method's cols × cols float64 Hessian
            // and factor (2 × 79 MB for a 3136-input layer), which would otherwise pile up on the large object heap.
            Pipeline.LargeModelMemory.AfterLayer(spec.Method == QuantMethod.Rtn ? (long)layer.Rows * layer.Cols : Math.Max((long)layer.Rows * layer.Cols, 4L * layer.Cols * layer.Cols));
        }
    }

    private string Describe() => spec.Describe();

    private (StoredMatrix Stored, float[] Decoded) Quantize(CompressionContext context, LayerWeight layer, float[] original)
    {
        if (spec.Weights is WeightType.Fp16 or WeightType.Bf16)
        {
            var half = HalfPrecision.Convert(original, layer.Rows, layer.Cols, spec.Weights == WeightType.Bf16);
            var halfDecoded = half.Decode();
            var overflow = halfDecoded.Count(float.IsInfinity);
            if (overflow > 0)
            {
                // float16 tops out at ±65504: a larger finite weight would come back as ±Inf.
                throw new ModelBuildException(WeightScreen.NonFiniteWeight, context.ModelPath, FormattableString.Invariant(
                    $"the weight '{layer.Name}' has {overflow} values beyond float16's range (±65504) that fp16 storage would turn into ±Inf. Use \"bf16\" or \"int8\" for it, or leave it out with \"exclude\": [\"{layer.Name}\"]."));
            }

            return (half, halfDecoded);
        }

        var options = new GridOptions(spec.Bits, spec.Weights == WeightType.Ternary, spec.Symmetric,
            spec.Granularity == QuantGranularity.PerGroup ? spec.GroupSize : layer.Cols, spec.Granularity == QuantGranularity.PerTensor);
        var pruned = LayerSelection.PrunedMask(context, layer);
        if (spec.Method == QuantMethod.Rtn && spec.Outliers <= 0 && RoundToNearest.IsPlain(options, null, pruned))
        {
            // The default int8 of a large model: straight from the float32 weights, no float64 copy of the layer.
            var (plain, plainDecoded) = RoundToNearest.Quantize(original, layer.Rows, layer.Cols, options);
            return (plain.ToStored(), plainDecoded);
        }

        var w = original.Select(v => (double)v).ToArray();
        var outliers = spec.Outliers > 0 ? OutlierSelector.Select(w, spec.Outliers, pruned) : null;
        if (spec.Method == QuantMethod.AdaRound)
        {
            var (rounded, values, stats) = AdaRound.Quantize(w, layer.Rows, layer.Cols, context.InputHessian(layer, Describe()), options,
                new AdaRoundOptions(spec.Iterations), outliers, pruned, context.Progress);
            context.Notes.Add(FormattableString.Invariant(
                $"{QuantizeSpec.PassName} '{layer.Name}': AdaRound output error {stats.RoundToNearestLoss:0.###e+0} (round to nearest) → {stats.Loss:0.###e+0}, {stats.Flipped:P1} of weights rounded the other way{(stats.KeptRoundToNearest ? "; no gain, round to nearest kept" : "")}"));
            return (rounded.ToStored(), values);
        }

        var (matrix, decoded) = spec.Method == QuantMethod.Gptq
            ? Gptq.Quantize(w, layer.Rows, layer.Cols, context.InputHessian(layer, Describe()), options,
                new GptqOptions(spec.Dampening, spec.BlockSize, spec.ActOrder), outliers, pruned)
            : RoundToNearest.Quantize(w, layer.Rows, layer.Cols, options, outliers, pruned);
        return (matrix.ToStored(), decoded);
    }
}
