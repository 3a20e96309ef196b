using Google.Protobuf;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Fuzz.Tests;

/// <summary>Runs the whole build pipeline on a model built in a test, in a temporary folder.</summary>
internal sealed class PipelineRunner : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "mb-hostile-" + Guid.NewGuid().ToString("N"));

    public PipelineRunner() => Directory.CreateDirectory(Dir);

    public string Write(string name, ModelProto model)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    public CompressionResult Run(ModelProto model, string? manifestJson = null) => Run(Write("model.onnx", model), manifestJson);

    public CompressionResult Run(string modelPath, string? manifestJson = null)
    {
        var manifest = "";
        if (manifestJson is not null)
        {
            manifest = Path.Combine(Dir, "model.compress.json");
            File.WriteAllText(manifest, manifestJson);
        }

        // Runtime="Generated": these cases are about what the generated code's planner refuses (Auto would hand them to ONNX Runtime).
        return CompressionPipeline.Run(new CompressionRequest(modelPath, manifest, "TestModel", "Test", Path.Combine(Dir, "out"), "Test.TestModel.weights.mbw") { Runtime = ModelRuntime.Generated },
            ModelBuild.Evaluation.Services.EvaluationServices.Create());
    }

    /// <summary>The MB error the pipeline must end in (any other exception fails the test with its stack trace).</summary>
    public ModelBuildException Fails(ModelProto model, string? manifestJson = null) => Assert.Throws<ModelBuildException>(() => Run(model, manifestJson));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a leftover temp folder changes no result
        }
    }
}
