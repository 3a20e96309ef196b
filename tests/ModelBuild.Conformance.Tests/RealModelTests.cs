using ModelBuild.Evaluation;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// Infrastructure for real-model parity tests: each model is fetched and runs in ONNX Runtime on a synthetic input
/// of its documented shape, giving outputs of the documented shape that behave as documented (probabilities).
/// </summary>
public sealed class RealModelTests
{
    public static TheoryData<string> Names => [.. RealModels.All.Select(m => m.Name)];

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Runs_in_onnx_runtime_on_a_synthetic_input(string name)
    {
        var model = RealModels.Get(name);
        using var session = OnnxRuntimeSession.FromFile(RealModels.PathOf(name));
        var inputs = new Dictionary<string, (float[], int[])> { [session.InputNames[0]] = (model.SyntheticInput(seed: 42), model.InputShape) };
        var outputs = session.Run(inputs);

        var (first, shape) = outputs[session.OutputNames[0]];
        Assert.Equal(Expected(name, model.InputShape), shape);
        Assert.All(outputs.Values, o => Assert.All(o.Data, v => Assert.True(float.IsFinite(v), $"{name}: non-finite output")));
        switch (name)
        {
            case "ppocr_cls" or "ppocr_rec":
                // Softmax over the last axis: every row sums to 1.
                var row = shape[^1];
                for (var r = 0; r < first.Length / row; r++)
                {
                    Assert.Equal(1.0, first.AsSpan(r * row, row).ToArray().Sum(v => (double)v), 3);
                }

                break;
            case "ppocr_det":
                Assert.All(first, v => Assert.InRange(v, 0f, 1f)); // a sigmoid probability map
                break;
            case "blazeface_front":
                Assert.Equal([[1, 512, 1], [1, 384, 1], [1, 512, 16], [1, 384, 16]], session.OutputNames.Select(n => outputs[n].Shape));
                break;
        }
    }

    /// <summary>The first output's shape from the shared README (rec: T = W/8 time steps for PP-OCRv4's SVTR head).</summary>
    private static int[] Expected(string name, int[] input) => name switch
    {
        "ppocr_cls" => [input[0], 2],
        "ppocr_det" => [input[0], 1, input[2], input[3]],
        "ppocr_rec" => [input[0], input[3] / 8, 6625],
        "blazeface_front" => [1, 512, 1],
        "wakeword_clf" => [input[0], 1],
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
