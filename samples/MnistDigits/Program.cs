using System.Diagnostics;
using System.Globalization;
using ModelBuild.Evaluation;
using ModelBuild.Evaluation.Data;
using MnistDigits;

// Everything below runs on data the model never saw at build time: MNIST's 10,000 test images from ../shared, or on a
// fresh clone without it, the 500 shipped in Data/ with the model the build compressed from there (Data/README.md).
var full = MnistModel.ModelInfo.SourceFile == "mnist_cnn_fc128.onnx";
var shared = args.Length > 0 ? args[0] : full ? FindShared() : null;
var data = full ? Path.Combine(shared!, "data/mnist") : Path.Combine(AppContext.BaseDirectory, "Data");
var images = IdxReader.ReadImages(Path.Combine(data, full ? "t10k-images-idx3-ubyte.gz" : "t10k-500-images-idx3-ubyte.gz"));
var labels = IdxReader.ReadLabels(Path.Combine(data, full ? "t10k-labels-idx1-ubyte.gz" : "t10k-500-labels-idx1-ubyte.gz"));
var count = images.Count;

// mnist_cnn_fc128 was trained on Normalize((0.5,), (0.5,)): x in [0,1] mapped to [-1, 1]; mnist-8 on x/255.
var inputs = new float[images.Pixels.Length];
for (var i = 0; i < inputs.Length; i++)
{
    inputs[i] = full ? ((images.Pixels[i] / 255f) - 0.5f) / 0.5f : images.Pixels[i] / 255f;
}

var model = new MnistModel();
var ours = new float[count * MnistModel.OutputElementsPerSample];
model.Predict(inputs, ours);

using var reference = OnnxRuntimeSession.FromFile(full ? Path.Combine(shared!, "models/mnist_cnn_fc128.onnx") : Path.Combine(data, "mnist-8.onnx"));
var theirs = reference.RunAll(inputs, count);

var info = MnistModel.ModelInfo;
Console.WriteLine($"MnistModel (generated from {info.SourceFile}; passes: {string.Join(", ", info.Passes)})");
Console.WriteLine($"  weights embedded : {info.EmbeddedBytes,10:N0} bytes (original .onnx {info.OriginalBytes:N0} bytes, {(double)info.OriginalBytes / info.EmbeddedBytes:0.0}x smaller)");
Console.WriteLine($"  top-1, int8 predictor  : {Percent(Metrics.Top1Accuracy(ours, 10, labels))}");
Console.WriteLine($"  top-1, fp32 ONNX Runtime: {Percent(Metrics.Top1Accuracy(theirs, 10, labels))}");
Console.WriteLine($"  same prediction        : {Percent(Metrics.Agreement(ours, theirs, 10))} of {count:N0} images");

// Latency at batch 1, the app's usual call: one image in, ten logits out.
var one = new float[MnistModel.OutputElementsPerSample];
var samples = 2000;
Console.WriteLine($"  mean latency, batch 1  : {Time(() => model.Predict(inputs.AsSpan(0, 784), one), samples):0.0} µs generated, "
    + $"{Time(() => reference.RunSingle(inputs.AsSpan(0, 784).ToArray(), [1, 1, 28, 28]), samples):0.0} µs ONNX Runtime");
return 0;

static string Percent(double fraction) => (fraction * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";

static double Time(Action action, int repeats)
{
    // Warm up for half a second: .NET recompiles hot methods with full optimisation (tiered JIT) only after a
    // few dozen calls and a short delay; timing earlier would measure the quick first-tier code.
    var warmUp = Stopwatch.StartNew();
    while (warmUp.ElapsedMilliseconds < 500)
    {
        action();
    }

    var watch = Stopwatch.StartNew();
    for (var i = 0; i < repeats; i++)
    {
        action();
    }

    return watch.Elapsed.TotalMicroseconds / repeats;
}

static string FindShared()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "ModelBuild.sln")) && Directory.Exists(Path.Combine(dir.FullName, "..", "shared")))
        {
            return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        }
    }

    throw new DirectoryNotFoundException("../shared (models and MNIST data) not found next to the repository; pass its path as the first argument.");
}
