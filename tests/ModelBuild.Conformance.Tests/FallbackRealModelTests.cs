using ModelBuild.Compression.Pipeline;
using ModelBuild.Evaluation;
using ModelBuild.Evaluation.Services;
using Xunit.Abstractions;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// A real model forced through <c>Runtime="OnnxRuntime"</c> with the default int8 compression: the build's own
/// pipeline writes the plan and blob, the generated class (with ModelBuild.OnnxRuntime) runs it, and its outputs
/// must match ONNX Runtime on the compressed .onnx (the same int8 weights, there as DequantizeLinear) — while the
/// embedded blob stays at the compressed size.
/// </summary>
public sealed class FallbackRealModelTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void PpOcrCls_forced_through_OnnxRuntime_matches_the_compressed_model_and_embeds_the_int8_size()
    {
        var model = RealModels.Get("ppocr_cls");
        var source = RealModels.PathOf(model.Name);
        var dir = Directory.CreateTempSubdirectory("mb-fallback-real-");
        try
        {
            const string Key = "fallback_ppocr_cls";
            var prepared = new ModelBuildRunner.Prepared(Key, "", []);
            var result = CompressionPipeline.Run(
                new CompressionRequest(source, "", prepared.ClassName, prepared.Namespace, dir.FullName, prepared.Namespace + ".weights.mbw") { Runtime = ModelRuntime.OnnxRuntime },
                EvaluationServices.Create());
            Assert.Equal("onnxruntime", result.Runtime);
            Assert.Contains("runtime: ONNX Runtime (Runtime=\"OnnxRuntime\"", result.Summary, StringComparison.Ordinal);
            prepared = prepared with { Plan = File.ReadAllText(result.PlanPath), Blob = File.ReadAllBytes(result.WeightsPath), Runtime = result.Runtime };

            var onnxBytes = new FileInfo(source).Length;
            output.WriteLine($"{model.Name}: embedded resource {prepared.Blob.Length:N0} bytes (int8 weights + graph), original .onnx {onnxBytes:N0} bytes ({(double)onnxBytes / prepared.Blob.Length:0.00}x smaller)");
            Assert.True(prepared.Blob.Length < 0.5 * onnxBytes, $"embedded {prepared.Blob.Length} bytes is not the compressed size (.onnx {onnxBytes})");

            var runner = ModelBuildRunner.Compile([prepared]);
            Assert.Empty(runner.CompileFailures);
            var input = model.SyntheticInput(seed: 7);
            var ours = runner.Run(Key, Graph.Tensor.FromFloats("x", [.. model.InputShape.Select(d => (long)d)], input)).Single();

            using var session = OnnxRuntimeSession.FromFile(result.CompressedModelPath);
            var (expected, shape) = session.Run(new Dictionary<string, (float[], int[])> { [session.InputNames[0]] = (input, model.InputShape) })[session.OutputNames[0]];
            Assert.Equal(shape.Select(d => (long)d), ours.Dims);
            var worst = expected.Zip(ours.Data, (e, a) => Math.Abs((double)e - a)).Max();
            output.WriteLine($"{model.Name}: max |Δ| against ONNX Runtime on the compressed .onnx: {worst:E2}");
            Assert.True(worst <= 1e-4, $"max |Δ| {worst:E2}"); // softmax probabilities: float32 reassociation only
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
