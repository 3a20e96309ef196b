using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelBuild.IntegrationTests;

/// <summary>The three shared MNIST models with the input scaling each was trained with (../shared/models/README.md).</summary>
internal sealed record MnistModel(string File, string ClassName, bool DynamicBatch, float Scale, float Shift, double ReadmeTop1)
{
    public static MnistModel Zoo { get; } = new("mnist-8.onnx", "ZooModel", DynamicBatch: false, 1f / 255, 0f, 0.9890);

    public static MnistModel Mlp { get; } = new("mnist_mlp_256.onnx", "MlpModel", DynamicBatch: true, 1f / 255, 0f, 0.9764);

    // (x/255 − 0.5)/0.5 = x·(2/255) − 1
    public static MnistModel Cnn { get; } = new("mnist_cnn_fc128.onnx", "CnnModel", DynamicBatch: true, 2f / 255, -1f, 0.9877);

    public static IEnumerable<object[]> All => new[] { Zoo, Mlp, Cnn }.Select(m => new object[] { m.File });

    public static MnistModel ByFile(string file) => new[] { Zoo, Mlp, Cnn }.Single(m => m.File == file);

    public string Path => TestPaths.Model(File);

    public ConsumerModel AsConsumer(string? manifest = null) => new(Path, ClassName, manifest, DynamicBatch);

    public float[] Preprocess(byte[] pixels) => Array.ConvertAll(pixels, p => p * Scale + Shift);

    /// <summary>Runs <paramref name="onnxPath"/> in ONNX Runtime (1 thread) on every 784-pixel sample; returns all logits.</summary>
    public static float[] RunOnnxRuntime(string onnxPath, float[] inputs, bool dynamicBatch)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnxPath, options);
        var inputName = session.InputMetadata.Keys.Single();
        var count = inputs.Length / 784;
        var batch = dynamicBatch ? 500 : 1;
        var outputs = new List<float>();
        for (var start = 0; start < count; start += batch)
        {
            var n = Math.Min(batch, count - start);
            var tensor = new DenseTensor<float>(inputs.AsMemory(start * 784, n * 784), new[] { n, 1, 28, 28 });
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, tensor) });
            outputs.AddRange(results.First().AsEnumerable<float>());
        }

        return outputs.ToArray();
    }

    public static double Top1(float[] logits, byte[] labels)
    {
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            correct += ArgMax(logits.AsSpan(i * 10, 10)) == labels[i] ? 1 : 0;
        }

        return (double)correct / labels.Length;
    }

    public static double Agreement(float[] a, float[] b)
    {
        var n = a.Length / 10;
        var same = 0;
        for (var i = 0; i < n; i++)
        {
            same += ArgMax(a.AsSpan(i * 10, 10)) == ArgMax(b.AsSpan(i * 10, 10)) ? 1 : 0;
        }

        return (double)same / n;
    }

    public static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
        {
            if (v[i] > v[best])
            {
                best = i;
            }
        }

        return best;
    }
}
