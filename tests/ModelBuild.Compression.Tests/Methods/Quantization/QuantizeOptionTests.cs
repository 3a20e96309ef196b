using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Evaluation;
using ModelBuild.Evaluation.Data;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Methods.Quantization;

/// <summary>Outliers, bias correction, exclusions, pruned zeros and determinism of the <c>quantize</c> pass.</summary>
public sealed class QuantizeOptionTests
{
    [Fact]
    public void Fp16_outliers_lower_every_layers_weight_error_and_are_stored_beside_the_codes()
    {
        // Per channel, an outlier narrows its own row's range only, so every layer's error must drop, by how much depends on the layer.
        var original = MethodHarness.LoadGraph(MnistCase.Mlp);
        var plain = MethodHarness.Apply(MnistCase.Mlp, """{"passes":[{"quantize":{"weights":"int3"}}]}""");
        var kept = MethodHarness.Apply(MnistCase.Mlp, """{"passes":[{"quantize":{"weights":"int3","outliers":0.005}}]}""");

        foreach (var layer in plain.Layers())
        {
            var w = MatrixOf(original, plain, layer.Name);
            var withOutliers = Assert.IsType<WithOutliers>(kept.Stored[layer.Name]);
            Assert.Equal((int)Math.Round(0.005 * w.Length), withOutliers.Indices.Length);
            Assert.IsType<LinearQuantized>(withOutliers.Base);
            Assert.True(Mse(w, withOutliers.Decode()) < Mse(w, plain.Stored[layer.Name].Decode()), layer.Name);
        }
    }

    [Fact]
    public void Bias_correction_lowers_the_mean_output_error_on_held_out_training_images()
    {
        var reference = Logits(MethodHarness.LoadGraph(MnistCase.Cnn));
        var plain = Logits(MethodHarness.Decoded(MethodHarness.Apply(MnistCase.Cnn, """{"passes":[{"quantize":{"weights":"int3"}}]}""")));
        var corrected = MethodHarness.Apply(MnistCase.Cnn, """{"passes":[{"quantize":{"weights":"int3","biasCorrection":true}}]}""");
        var correctedLogits = Logits(MethodHarness.Decoded(corrected));

        // Mean over images of (float − quantised), per logit; then the mean magnitude over the 10 logits.
        var before = MeanShift(reference, plain);
        var after = MeanShift(reference, correctedLogits);
        Assert.True(after < 0.5 * before, $"mean output error {after} with correction vs {before} without");
        Assert.All(corrected.Notes, n => Assert.Contains("bias corrected by", n, StringComparison.Ordinal));
    }

    [Fact]
    public void Excluded_layers_stay_float_and_fp16_bf16_round_to_nearest_even()
    {
        var context = MethodHarness.Apply(MnistCase.Cnn, """{"passes":[{"quantize":{"weights":"bf16","exclude":["Conv","fc2.weight"]}}]}""");
        var fc1 = Assert.IsType<HalfFloat>(Assert.Single(context.Stored).Value);
        Assert.True(fc1.IsBFloat16);
        var original = MatrixOf(MethodHarness.LoadGraph(MnistCase.Cnn), context, "fc1.weight");
        var decoded = fc1.Decode();
        for (var i = 0; i < original.Length; i++)
        {
            // bf16 keeps 8 significant bits: rounding to nearest errs by at most half a unit in the last place, 2⁻⁸ relative.
            Assert.True(Math.Abs(decoded[i] - original[i]) <= Math.Abs(original[i]) / 256, $"{i}");
        }

        var half = MethodHarness.Apply(MnistCase.Mlp, """{"passes":[{"quantize":{"weights":"fp16"}}]}""");
        var w = MatrixOf(MethodHarness.LoadGraph(MnistCase.Mlp), half, "net.3.weight");
        Assert.Equal(w.Select(v => (float)(Half)v), half.Stored["net.3.weight"].Decode());
    }

    [Fact]
    public void Pruned_zeros_stay_zero_through_gptq_and_the_sparse_wrapper_is_kept()
    {
        var context = MethodHarness.Context(MnistCase.Mlp);
        var layer = context.Layers()[1];
        var w = context.GetMatrix(layer);
        var threshold = w.Select(Math.Abs).Order().ElementAt(w.Length / 2);
        var mask = w.Select(v => Math.Abs(v) > threshold).ToArray();
        var pruned = w.Select((v, i) => mask[i] ? v : 0).ToArray();
        context.SetMatrix(layer, pruned);
        context.Stored[layer.Name] = new SparseMatrix(layer.Rows, layer.Cols, mask, new DenseFloat(layer.Rows, layer.Cols, pruned));

        new Compression.Manifest.QuantizeSpec(Compression.Quantization.WeightType.Int4, Compression.Quantization.QuantGranularity.PerChannel, false)
        {
            Method = Compression.Quantization.QuantMethod.Gptq,
        }.CreatePass().Apply(context);

        var sparse = Assert.IsType<SparseMatrix>(context.Stored[layer.Name]);
        var inner = Assert.IsType<LinearQuantized>(sparse.Inner).Decode();
        Assert.Equal(mask, sparse.Mask);
        Assert.All(Enumerable.Range(0, w.Length).Where(i => !mask[i]), i => Assert.Equal(0f, inner[i]));
    }

    [Fact]
    public void Gptq_with_groups_outliers_and_act_order_gives_the_same_codes_twice()
    {
        const string Manifest = """{"passes":[{"quantize":{"weights":"int4","granularity":"per-group","groupSize":64,"method":"gptq","actOrder":true,"outliers":0.002,"biasCorrection":true}}]}""";
        var first = MethodHarness.Apply(MnistCase.Mlp, Manifest, 128);
        var second = MethodHarness.Apply(MnistCase.Mlp, Manifest, 128);

        foreach (var (name, stored) in first.Stored)
        {
            var a = Assert.IsType<WithOutliers>(stored);
            var b = Assert.IsType<WithOutliers>(second.Stored[name]);
            var (qa, qb) = ((LinearQuantized)a.Base, (LinearQuantized)b.Base);
            Assert.Equal(64, qa.GroupSize);
            Assert.Equal(qa.Codes, qb.Codes);
            Assert.Equal(qa.Scales, qb.Scales);
            Assert.Equal(qa.ZeroPoints, qb.ZeroPoints);
            Assert.Equal(a.Indices, b.Indices);
            Assert.Equal(a.HalfValues, b.HalfValues);
        }

        Assert.Equal(first.Graph.Initializers.Select(t => t.ToFloats()).SelectMany(v => v), second.Graph.Initializers.Select(t => t.ToFloats()).SelectMany(v => v));
    }

    internal static float[] MatrixOf(ModelGraph original, Compression.Passes.CompressionContext context, string name)
    {
        var layer = context.Layers().Single(l => l.Name == name);
        var values = original.GetInitializer(name)!.ToFloats();
        return layer.Layout == Compression.Passes.MatrixLayout.RowsFirst ? values : Compression.Planning.Lowering.LoweringContext.Transpose(values, layer.Cols, layer.Rows);
    }

    internal static double Mse(float[] a, float[] b) => a.Select((v, i) => ((double)v - b[i]) * ((double)v - b[i])).Average();

    private static float[] Logits(ModelGraph graph)
    {
        const int FirstImage = 256; // past the 256 calibration images: measure on images the pass did not see
        const int Count = 1000;
        var images = IdxReader.ReadImages(Path.Combine(TestPaths.MnistDir, "train-2k-images-idx3-ubyte.gz"));
        var inputs = MnistCase.Cnn.Preprocess(images.Pixels.AsSpan(FirstImage * 784, Count * 784).ToArray());
        using var session = OnnxRuntimeSession.FromBytes(OnnxExporter.ToBytes(graph), "cnn");
        return session.RunAll(inputs, Count);
    }

    private static double MeanShift(float[] reference, float[] quantized)
    {
        var sums = new double[10];
        for (var i = 0; i < reference.Length; i++)
        {
            sums[i % 10] += reference[i] - quantized[i];
        }

        return sums.Average(s => Math.Abs(s / (reference.Length / 10)));
    }
}
