using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ModelBuild.Evaluation;
using ModelBuild.Evaluation.Data;

namespace ModelBuild.Cli.Commands;

/// <summary>
/// <c>modelbuild eval &lt;model.onnx&gt; --data &lt;images&gt; --labels &lt;labels&gt;</c>: top-1 accuracy through ONNX
/// Runtime, with the same data readers and preprocessing spec as the manifest's calibration section.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Path of the ONNX model (original or compressed)." };
        var data = new Option<string>("--data") { Description = "Inputs: IDX (.gz or not), .npy (float32/uint8) or raw float32.", Required = true };
        var labels = new Option<string>("--labels") { Description = "Labels (IDX or .npy). Without labels only the outputs' summary is printed." };
        var format = new Option<string>("--format") { Description = "idx, npy or raw (default: from the file name)." };
        var preprocess = new Option<string>("--preprocess") { Description = "Preprocessing, e.g. \"scale=1/255 mean=0.5 std=0.5 layout=nchw\" or a preset (raw, unit, symmetric, mnist). Default: unit (x/255)." };
        var count = new Option<int?>("--count") { Description = "Use only the first N samples (after --offset)." };
        var offset = new Option<int>("--offset") { Description = "Skip the first N samples (e.g. measure on the part of a test set that a manifest's validation did not use)." };
        var shape = new Option<string>("--sample-shape") { Description = "Shape of one sample for raw data, e.g. 1,28,28." };
        var command = new Command("eval", "Measure a model's top-1 accuracy on a dataset with ONNX Runtime.")
        {
            model, data, labels, format, preprocess, count, offset, shape,
        };
        command.SetAction(parseResult => CommandErrors.Guard(parseResult, output =>
        {
            var dataPath = Path.GetFullPath(parseResult.GetValue(data)!);
            var spec = new DatasetSpec
            {
                Images = dataPath,
                Labels = parseResult.GetValue(labels) is { } l ? Path.GetFullPath(l) : null,
                Format = parseResult.GetValue(format) ?? GuessFormat(dataPath),
                Preprocessing = parseResult.GetValue(preprocess) ?? "unit",
                Count = parseResult.GetValue(count),
                Offset = parseResult.GetValue(offset),
                SampleShape = parseResult.GetValue(shape) is { } s ? ParseShape(s) : null,
            };
            var (samples, n, sampleShape, labelValues) = spec.LoadSamples(Directory.GetCurrentDirectory());
            var modelPath = parseResult.GetValue(model)!;
            using var session = OnnxRuntimeSession.FromFile(modelPath);
            DataFit.Check(session, modelPath, dataPath, sampleShape, n, spec.Labels, labelValues);
            var watch = Stopwatch.StartNew();
            var outputs = session.RunAll(samples, n, dataShape: sampleShape);
            var classes = outputs.Length / Math.Max(1, n);
            output.WriteLine($"{n:N0} samples of [{string.Join(",", sampleShape)}], {classes} outputs each, {watch.Elapsed.TotalMilliseconds / Math.Max(1, n):0.000} ms per sample");
            if (labelValues is not null)
            {
                output.WriteLine($"top-1 accuracy: {Metrics.Top1Accuracy(outputs, classes, labelValues) * 100:0.00} %");
            }

            return 0;
        }, parseResult.GetValue(model)));
        return command;
    }

    private static int[] ParseShape(string text)
    {
        var parts = text.Split(',');
        return parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d > 0)
            ? parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray()
            : throw new ModelBuildException("MB4004", null, $"--sample-shape '{text}' must be positive whole numbers separated by commas, e.g. 1,28,28.");
    }

    private static string GuessFormat(string path) =>
        path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? "npy"
        : path.EndsWith(".raw", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".f32", StringComparison.OrdinalIgnoreCase) ? "raw"
        : "idx";
}
