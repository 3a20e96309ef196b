#if REALMODELS_INT8
using Microsoft.ML.OnnxRuntime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick int8-check</c>: the real models built with the default manifest (int8 weights) on RealModelBenchmarks' noise
/// input, against ONNX Runtime on the build's compressed .onnx (the same function: should agree to float rounding) and
/// on the original file (what int8 weights change).
/// </summary>
internal static class Int8CheckQuick
{
    public static void Run()
    {
        Check("ppocr_cls", "PpOcrClsInt8Model", [1, 3, 48, 192], (x, s, o) => new PpOcrClsInt8Model().Predict(x, s, o[0], new int[2]));
        Check("ppocr_det", "PpOcrDetInt8Model", [1, 3, 256, 256], (x, s, o) => new PpOcrDetInt8Model().Predict(x, s, o[0], new int[4]));
        Check("ppocr_rec", "PpOcrRecInt8Model", [1, 3, 48, 320], (x, s, o) => new PpOcrRecInt8Model().Predict(x, s, o[0], new int[3]));
        Check("blazeface_front", "BlazeFaceInt8Model", [1, 128, 128, 3], (x, s, o) => new BlazeFaceInt8Model().Predict(x, s, o[0], new int[3], o[1], new int[3], o[2], new int[3], o[3], new int[3]));
    }

    private static void Check(string file, string className, int[] shape, Action<float[], int[], float[][]> predict)
    {
        var rng = new Random(7);
        float[] input = [.. Enumerable.Range(0, shape.Aggregate(1, (a, d) => a * d)).Select(_ => (rng.NextSingle() * 2) - 1)];
        string compressed = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "obj", "Release", "net10.0", "modelbuild", className, className + ".compressed.onnx"));
        float[][] viaCompressed = Ort(compressed, input, shape), original = Ort(Path.Combine(BenchmarkPaths.RealModelsDir(), file + ".onnx"), input, shape);
        float[][] generated = [.. viaCompressed.Select(o => new float[o.Length])];
        predict(input, shape, generated);
        Console.WriteLine(
            $"{file,-16} generated vs ONNX Runtime on the compressed .onnx {LargestDifference(generated, viaCompressed):G3}; "
            + $"compressed vs original {LargestDifference(viaCompressed, original):G3} (largest |output| {original.Max(o => o.Max(Math.Abs)):G3})");
    }

    private static float[][] Ort(string path, float[] input, int[] shape)
    {
        using var session = new InferenceSession(path);
        using var tensor = OrtValue.CreateTensorValueFromMemory(input, [.. shape.Select(d => (long)d)]);
        using var options = new RunOptions();
        using var results = session.Run(options, [session.InputNames[0]], [tensor], session.OutputNames);
        return [.. results.Select(r => r.GetTensorDataAsSpan<float>().ToArray())];
    }

    private static double LargestDifference(float[][] a, float[][] b) =>
        a.Zip(b).Max(p => p.First.Zip(p.Second).Max(t => Math.Abs((double)t.First - t.Second)));
}
#endif
