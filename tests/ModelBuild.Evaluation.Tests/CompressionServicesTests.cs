using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Evaluation.Data;
using ModelBuild.Evaluation.Services;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Evaluation.Tests;

/// <summary>
/// The ONNX Runtime implementations of ModelBuild.Compression's contracts, checked against sessions and loops
/// written out here (not against <see cref="Metrics"/>, which they use).
/// </summary>
[Collection("mnist")]
public sealed class CompressionServicesTests(MnistFixture mnist)
{
    private const int Count = 500;

    [Fact]
    public void Dataset_loader_reads_the_section_files_with_its_preprocessing_count_and_labels()
    {
        var section = new DatasetSection
        {
            Images = "t10k-images-idx3-ubyte.gz", Labels = "t10k-labels-idx1-ubyte.gz", Preprocessing = "unit", Count = 50,
        };

        var data = new DatasetLoader().Load(section, TestPaths.MnistDir);

        Assert.Equal(50, data.Count);
        Assert.Equal([1, 28, 28], data.SampleShape);
        Assert.Equal(mnist.Labels[..50], data.Labels);
        Assert.Equal(mnist.Images.Pixels[..(50 * 784)].Select(p => p * (1f / 255f)), data.Samples);
    }

    [Fact]
    public void Dataset_loader_names_the_manifest_in_errors()
    {
        var section = new DatasetSection { Images = "t10k-images-idx3-ubyte.gz", Preprocessing = "scale=abc", SourceFile = "m.compress.json" };

        var e = Assert.Throws<ModelBuildException>(() => new DatasetLoader().Load(section, TestPaths.MnistDir));

        Assert.Equal("MB4004", e.Code);
        Assert.Equal("m.compress.json", e.File);
    }

    [Fact]
    public void Scoring_a_model_against_itself_gives_the_perfect_values()
    {
        var path = TestPaths.Model("mnist_mlp_256.onnx");
        var reference = new OnnxRuntimeModelScorer().RunReference(path, Data());
        var self = File.ReadAllBytes(path);

        var top1 = reference.Score(self, "self", ValidationMetric.Top1);
        Assert.Equal(top1.Reference, top1.Candidate);
        Assert.Equal(1.0, top1.Agreement);
        Assert.Equal(0.0, reference.Score(self, "self", ValidationMetric.MaxAbs).Candidate);
        Assert.Equal(double.PositiveInfinity, reference.Score(self, "self", ValidationMetric.Sqnr).Candidate);
    }

    [Fact]
    public void Scoring_a_perturbed_model_matches_the_metrics_computed_from_both_runs()
    {
        var path = TestPaths.Model("mnist_mlp_256.onnx");
        var data = Data();
        var candidate = Perturbed(path);
        var (before, after) = (Run(File.ReadAllBytes(path), data), Run(candidate, data));
        var reference = new OnnxRuntimeModelScorer().RunReference(path, data);

        var top1 = reference.Score(candidate, "perturbed", ValidationMetric.Top1);
        var maxAbs = reference.Score(candidate, "perturbed", ValidationMetric.MaxAbs);

        Assert.Equal(Top1(before, data.Labels!), top1.Reference, 12);
        Assert.Equal(Top1(after, data.Labels!), top1.Candidate, 12);
        Assert.InRange(top1.Agreement, 0.0, 0.99); // the perturbation changes answers, so every value is tested
        Assert.Equal(Enumerable.Range(0, Count).Count(r => ArgMax(before, r) == ArgMax(after, r)) / (double)Count, top1.Agreement, 12);
        Assert.Equal(before.Zip(after, (a, b) => Math.Abs((double)a - b)).Max(), maxAbs.Candidate, 12);
        Assert.Equal(0.0, maxAbs.Reference);
    }

    [Fact]
    public void Activation_recorder_returns_what_the_static_recorder_returns()
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist_mlp_256.onnx"));
        var data = Data();

        var recorded = new OnnxRuntimeActivationRecorder().Record(graph, [graph.Outputs[0].Name], data)[graph.Outputs[0].Name];

        Assert.Equal(Run(File.ReadAllBytes(TestPaths.Model("mnist_mlp_256.onnx")), data), recorded.Data);
        Assert.Equal(Count, recorded.Shape[0]);
    }

    private CalibrationSet Data() =>
        new(mnist.Samples(PreprocessingSpec.Parse("unit"), Count), Count, [1, 28, 28], mnist.Labels[..Count]);

    private static float[] Run(byte[] model, CalibrationSet data)
    {
        using var session = OnnxRuntimeSession.FromBytes(model, "test");
        return session.RunAll(data.Samples, data.Count);
    }

    /// <summary>The model with every other weight of its largest matrix negated: clearly worse, still runnable.</summary>
    private static byte[] Perturbed(string path)
    {
        var graph = OnnxImporter.Import(path);
        var weight = graph.Initializers.Where(t => t.Dims.Length == 2).MaxBy(t => t.ElementCount)!;
        var values = weight.ToFloats();
        for (var i = 0; i < values.Length; i += 2)
        {
            values[i] = -values[i];
        }

        graph.SetInitializer(Tensor.FromFloats(weight.Name, weight.Dims, values));
        return OnnxExporter.ToBytes(graph);
    }

    private static int ArgMax(float[] outputs, int row)
    {
        var best = 0;
        for (var j = 1; j < 10; j++)
        {
            if (outputs[(row * 10) + j] > outputs[(row * 10) + best])
            {
                best = j;
            }
        }

        return best;
    }

    private static double Top1(float[] outputs, byte[] labels) =>
        Enumerable.Range(0, labels.Length).Count(r => ArgMax(outputs, r) == labels[r]) / (double)labels.Length;
}
