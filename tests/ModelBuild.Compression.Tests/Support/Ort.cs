using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>Runs an ONNX model in ONNX Runtime (the independent reference) on one float input.</summary>
internal static class Ort
{
    public static float[] Run(byte[] model, float[] input, int[] inputDims)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var inputName = session.InputMetadata.Keys.Single();
        var tensor = new DenseTensor<float>(input, inputDims);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return results.First().AsEnumerable<float>().ToArray();
    }

    public static int[] ArgMax(float[] logits, int classes) =>
        Enumerable.Range(0, logits.Length / classes).Select(r =>
        {
            var row = logits.AsSpan(r * classes, classes);
            var best = 0;
            for (var j = 1; j < classes; j++)
            {
                if (row[j] > row[best])
                {
                    best = j;
                }
            }

            return best;
        }).ToArray();
}
