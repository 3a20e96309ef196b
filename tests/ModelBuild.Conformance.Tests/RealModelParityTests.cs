using ModelBuild.Graph;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// Real models the generated runtime covers completely, run through ModelBuild (plan, generator, compiled predictor)
/// and compared with ONNX Runtime on the same synthetic input.
/// </summary>
public sealed class RealModelParityTests
{
    [SkippableFact]
    public void BlazeFace_matches_onnx_runtime()
    {
        // BlazeFace pads channels with ConstantOfShape + Concat before its residual adds.
        const string name = "blazeface_front";
        var model = RealModels.Get(name);
        var bytes = File.ReadAllBytes(RealModels.PathOf(name));
        var input = Tensor.FromFloats("input", [.. model.InputShape.Select(d => (long)d)], model.SyntheticInput(seed: 42));

        var runner = ModelBuildRunner.Compile([ModelBuildRunner.Prepare("blazeface", bytes)]);
        Assert.Empty(runner.CompileFailures);
        var actual = runner.Run("blazeface", input);
        var expected = OrtReference.Run(bytes, input);

        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Null(Tolerance.Compare(expected[i], actual[i].Dims, [.. actual[i].Data.Select(v => (double)v)]));
        }
    }
}
