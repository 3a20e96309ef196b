using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>Runs an ONNX model in ONNX Runtime (the independent reference) on one float input.</summary>
internal static class Ort
{
    /// <param name="model">The ONNX bytes.</param>
    /// <param name="input">The input values.</param>
    /// <param name="inputDims">The input shape.</param>
    /// <param name="exactArithmetic">
    /// True: only ORT's basic (semantics-preserving) graph rewrites. At the extended level ORT 1.31 fuses an
    /// opset-13 weight <c>DequantizeLinear</c> into integer kernels that also quantise the activations (measured:
    /// ≈0.7 % output change on the hand-made model), which is right for speed but not a same-arithmetic reference.
    /// </param>
    public static float[] Run(byte[] model, float[] input, int[] inputDims, bool exactArithmetic = true)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = exactArithmetic ? GraphOptimizationLevel.ORT_ENABLE_BASIC : GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
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
