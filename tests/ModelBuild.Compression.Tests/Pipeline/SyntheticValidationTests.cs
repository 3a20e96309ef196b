using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Evaluation.Data;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>Models without labelled data (squeezenet_cifar10: no CIFAR-10 here) are gated by agreement or SQNR on synthetic inputs.</summary>
public sealed class SyntheticValidationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-synth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("agreement", """{ "minAgreement": 0.9 }""", "agreement 100.00 % -> ")]
    [InlineData("sqnr", """{ "minSqnrDb": 20 }""", "SQNR dB inf dB -> ")]
    public void Squeezenet_is_gated_without_labels(string metric, string tolerance, string expected)
    {
        // CIFAR pixels/256 lie in [0, 1): the synthetic source draws from the same range, NHWC as the model expects.
        var manifest = Path.Combine(_dir, "m.json");
        File.WriteAllText(manifest, $$"""
            {
              "passes": [ { "quantize": {} } ],
              "validation": { "format": "synthetic", "images": "uniform:0,1;seed=7", "sampleShape": [32, 32, 3], "count": 200, "metric": "{{metric}}" },
              "tolerance": {{tolerance}}
            }
            """);

        var result = CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("squeezenet_cifar10.onnx"), manifest, "Squeeze", "", _dir, "r"), TestServices.Default);

        Assert.Contains(expected, result.Summary);
        Assert.EndsWith(") ok", result.Summary);
    }

    [Fact]
    public void Synthetic_data_is_reproducible_and_in_range()
    {
        var a = SyntheticData.Generate("uniform:0,1;seed=7", [3, 4], 10, null).Samples;
        var b = SyntheticData.Generate("uniform:0,1;seed=7", [3, 4], 10, null).Samples;
        var c = SyntheticData.Generate("uniform:0,1;seed=8", [3, 4], 10, null).Samples;

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.All(a, v => Assert.InRange(v, 0f, 1f));
        Assert.InRange(a.Average(), 0.35, 0.65);
        Assert.Throws<ModelBuildException>(() => SyntheticData.Generate("poisson:1", [1], 1, "m.json"));
    }
}
