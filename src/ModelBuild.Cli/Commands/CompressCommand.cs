using System.CommandLine;
using ModelBuild.Compression;

namespace ModelBuild.Cli.Commands;

/// <summary>
/// <c>modelbuild compress model.onnx --manifest m.json --out dir</c>: the build's compression step, runnable by
/// hand. The MSBuild task runs exactly this command (with <c>--msbuild</c>) in a worker process.
/// </summary>
internal static class CompressCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "The ONNX model to compress." };
        var manifest = new Option<FileInfo?>("--manifest") { Description = "Compression manifest (JSON). Default: int8 per-channel symmetric." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the plan, weights blob, compressed .onnx and report.", Required = true };
        var className = new Option<string?>("--class") { Description = "Name of the generated predictor class (default: file name in PascalCase + Model)." };
        var ns = new Option<string?>("--namespace") { Description = "Namespace of the generated class." };
        var resource = new Option<string?>("--resource") { Description = "Manifest-resource name for the weights blob." };
        var msbuild = new Option<bool>("--msbuild") { Description = "Prefix progress lines for MSBuild (used by the build task)." };

        var command = new Command("compress", "Compress a model as the build would and print the report summary.")
        {
            model, manifest, output, className, ns, resource, msbuild,
        };

        command.SetAction(parse =>
        {
            var modelFile = parse.GetValue(model)!;
            var cls = parse.GetValue(className) ?? ClassNames.FromFileStem(Path.GetFileNameWithoutExtension(modelFile.Name));
            var nsValue = parse.GetValue(ns) ?? string.Empty;
            var request = new CompressionRequest(
                modelFile.FullName,
                parse.GetValue(manifest)?.FullName,
                cls,
                nsValue,
                parse.GetValue(output)!.FullName,
                parse.GetValue(resource) ?? $"ModelBuild.{(nsValue.Length > 0 ? nsValue + "." : "")}{cls}.weights.mbw");
            var prefix = parse.GetValue(msbuild) ? "ModelBuild: " : string.Empty;
            return CliErrors.Run(() =>
            {
                var result = CompressionPipeline.Run(request, new Progress(prefix));
                Console.WriteLine($"{prefix}{result.Summary}");
                return 0;
            });
        });

        return command;
    }

    // Synchronous on purpose: Progress<T> would post lines to the thread pool and reorder them.
    private sealed class Progress(string prefix) : IProgress<string>
    {
        public void Report(string value) => Console.WriteLine(prefix + value);
    }
}
