using System.CommandLine;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Evaluation.Services;

namespace ModelBuild.Cli.Commands;

/// <summary>
/// <c>modelbuild compress &lt;model.onnx&gt;</c>: what <c>dotnet build</c> runs for each <c>OnnxModel</c> item
/// (the MSBuild task starts this command in a worker process), also usable by hand.
/// </summary>
public static class CompressCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Path of the ONNX model file." };
        var manifest = new Option<string>("--manifest") { Description = "Compression manifest (JSON). Default: int8 weights, per channel, symmetric." };
        var output = new Option<string>("--out") { Description = "Output folder (default: the current folder)." };
        var className = new Option<string>("--class") { Description = "Name of the generated predictor class (default: from the file name)." };
        var ns = new Option<string>("--namespace") { Description = "Namespace of the generated class (default: none)." };
        var resource = new Option<string>("--resource") { Description = "Manifest-resource name of the weights blob." };
        var inputShapes = new Option<string>("--input-shapes") { Description = "Pin input dims: x=1,3,48,? (? keeps a dim dynamic); several separated by ';'." };
        var cache = new Option<string>("--cache") { Description = "Content-addressed cache folder: reuse a result for the same model, manifest, data and ModelBuild build, and store new ones." };
        var force = new Option<bool>("--force") { Description = "Compress even when the outputs or the cache already hold a result for the same inputs." };
        var runtime = new Option<string>("--runtime") { Description = "What runs the model: auto (generated code when it covers every node, else ONNX Runtime; default), generated, onnxruntime." };
        var noGenerate = new Option<bool>("--no-generate") { Description = "No class is generated (Generate=\"false\"): an uncovered operator is no error." };
        var msbuild = new Option<bool>("--msbuild") { Description = "Write progress as MSBuild messages (used by the build task).", Hidden = true };
        var command = new Command("compress", "Compress a model: writes the plan, weights blob, compressed .onnx and report.")
        {
            model, manifest, output, className, ns, resource, inputShapes, cache, force, runtime, noGenerate, msbuild,
        };
        command.SetAction(parseResult => CommandErrors.Guard(parseResult, writer =>
        {
            var modelPath = parseResult.GetValue(model)!;
            var cls = parseResult.GetValue(className) is { Length: > 0 } c ? c : ClassNames.FromFileStem(Path.GetFileNameWithoutExtension(modelPath));
            var nsValue = parseResult.GetValue(ns) ?? string.Empty;
            var request = new CompressionRequest(
                modelPath,
                parseResult.GetValue(manifest) ?? string.Empty,
                cls,
                nsValue,
                parseResult.GetValue(output) is { Length: > 0 } o ? o : Directory.GetCurrentDirectory(),
                parseResult.GetValue(resource) is { Length: > 0 } r ? r : $"ModelBuild.{(nsValue.Length > 0 ? nsValue + "." : "")}{cls}.weights.mbw")
            {
                InputShapes = parseResult.GetValue(inputShapes) ?? string.Empty,
                CacheDirectory = parseResult.GetValue(cache) is { Length: > 0 } dir ? Path.GetFullPath(dir) : null,
                Force = parseResult.GetValue(force),
                Runtime = ParseRuntime(parseResult.GetValue(runtime), modelPath),
                Generate = !parseResult.GetValue(noGenerate),
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var progress = new SynchronousProgress(line => writer.WriteLine(
                $"  [{clock.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture),5}s] {line}"));
            // The composition root: the pipeline's data, activation and scoring needs are met by ONNX Runtime here.
            var result = CompressionPipeline.Run(request, EvaluationServices.Create(), progress);
            foreach (var warning in result.Warnings)
            {
                parseResult.InvocationConfiguration.Error.WriteLine(warning);
            }

            writer.WriteLine(result.Summary);
            writer.WriteLine($"  report: {Path.GetFullPath(Path.ChangeExtension(result.ReportPath, ".html"))}");
            return 0;
        }, parseResult.GetValue(model)));
        return command;
    }

    /// <summary>The <c>Runtime</c> metadata's value (case-insensitive; empty = Auto).</summary>
    /// <exception cref="ModelBuildException">MB0012: not one of Auto, Generated, OnnxRuntime.</exception>
    private static ModelRuntime ParseRuntime(string? text, string modelPath) =>
        string.IsNullOrWhiteSpace(text) ? ModelRuntime.Auto
        : Enum.TryParse<ModelRuntime>(text.Trim(), ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _) ? value
        : throw new ModelBuildException("MB0012", modelPath,
            $"Runtime=\"{text}\" on the <OnnxModel> item is not a runtime ModelBuild knows. Use Auto (the default: generated code when it covers every node, otherwise ONNX Runtime), Generated or OnnxRuntime.");

    /// <summary>Reports on the calling thread, in order (<see cref="Progress{T}"/> posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
