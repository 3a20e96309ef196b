using Xunit.Abstractions;
using ModelBuild.Evaluation;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// The five real models of ../shared/realmodels, as shipped (dynamic dims kept, no edits), planned with exact
/// float32 weights, generated, compiled and run; compared with ONNX Runtime on the original file at several input
/// sizes, with the checks the shared README gives: argmax for the classifiers, mean/max absolute difference for
/// the detector's probability map and BlazeFace's outputs, greedy CTC strings for the recogniser.
/// </summary>
public sealed class RealModelParityTests(ITestOutputHelper output)
{
    /// <summary>Input sizes per model: the README's sizes and others the file's dynamic dims allow.</summary>
    public static TheoryData<string, int[]> Cases => new()
    {
        { "ppocr_cls", [1, 3, 48, 192] },
        { "ppocr_cls", [2, 3, 48, 100] },
        { "ppocr_det", [1, 3, 64, 96] },
        { "ppocr_det", [1, 3, 96, 160] },
        { "ppocr_det", [1, 3, 32, 64] },  // a 1-row feature map under a padded 3×3 window
        { "ppocr_rec", [1, 3, 48, 160] },
        { "ppocr_rec", [2, 3, 48, 320] },
        { "blazeface_front", [1, 128, 128, 3] }, // the file fixes every dim
        { "wakeword_clf", [1, 25, 96] },          // the file fixes every dim
    };

    // One compilation for all five (each Prepare is the build's own planning of the file as shipped).
    private static readonly Lazy<ModelBuildRunner> s_runner = new(() =>
        ModelBuildRunner.Compile([.. RealModels.All.Select(m => ModelBuildRunner.Prepare(m.Name, File.ReadAllBytes(RealModels.PathOf(m.Name))))]));

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Generated_predictor_matches_onnx_runtime_on_the_original_model(string name, int[] shape)
    {
        var path = RealModels.PathOf(name); // skips when the registry is unreachable
        var model = RealModels.Get(name) with { InputShape = shape };
        using var session = OnnxRuntimeSession.FromFile(path);
        for (var seed = 1; seed <= 3; seed++)
        {
            var input = model.SyntheticInput(seed);
            var expected = session.Run(new Dictionary<string, (float[], int[])> { [session.InputNames[0]] = (input, shape) });
            var actual = s_runner.Value.Run(name, Graph.Tensor.FromFloats("x", [.. shape.Select(d => (long)d)], input));

            Assert.Equal(session.OutputNames.Count, actual.Count);
            for (var o = 0; o < actual.Count; o++)
            {
                var (data, dims) = expected[session.OutputNames[o]];
                Assert.Equal(dims.Select(d => (long)d), actual[o].Dims);
                var (mean, max) = Differences(data, actual[o].Data);
                output.WriteLine($"{name} {string.Join('x', shape)} seed {seed} output {o}: mean |Δ| {mean:E2}, max |Δ| {max:E2}");
                Assert.True(mean <= 1e-4 && max <= 2e-3, $"{name} output {session.OutputNames[o]}: mean |Δ| {mean:E2}, max |Δ| {max:E2}");
            }

            var reference = expected[session.OutputNames[0]].Data;
            var generated = actual[0].Data;
            switch (name)
            {
                case "ppocr_cls":
                    Assert.Equal(ArgMaxRows(reference, 2), ArgMaxRows(generated, 2));
                    break;
                case "ppocr_rec":
                    Assert.Equal(GreedyCtc(reference, 6625), GreedyCtc(generated, 6625));
                    break;
            }
        }
    }

    private static (double Mean, double Max) Differences(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double sum = 0, max = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs((double)expected[i] - actual[i]);
            sum += d;
            max = Math.Max(max, d);
        }

        return (expected.Length == 0 ? 0 : sum / expected.Length, max);
    }

    private static int[] ArgMaxRows(float[] values, int width) =>
        [.. Enumerable.Range(0, values.Length / width).Select(r => Array.IndexOf(values, values.AsSpan(r * width, width).ToArray().Max(), r * width) - (r * width))];

    /// <summary>Greedy CTC per time step: argmax, drop repeats, drop the blank (class 0); classes as numbers.</summary>
    private static string GreedyCtc(float[] probabilities, int classes)
    {
        var best = ArgMaxRows(probabilities, classes);
        var kept = best.Where((c, t) => c != 0 && (t == 0 || best[t - 1] != c));
        return string.Join(' ', kept);
    }
}
