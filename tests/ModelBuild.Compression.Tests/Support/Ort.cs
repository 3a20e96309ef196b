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
    /// True: keep float activations. ORT 1.31 (extended level and up) fuses an opset-13 per-axis int8 weight
    /// <c>DequantizeLinear</c> + <c>MatMul</c> into <c>MatMulNBits</c>, which by default quantises the activations
    /// too (measured ≈0.7 % output change); <c>session.qdq_matmulnbits_accuracy_level=0</c> keeps them float, so
    /// the result equals running the dequantised floats (checked: same bits as with basic optimisation only).
    /// </param>
    public static float[] Run(byte[] model, float[] input, int[] inputDims, bool exactArithmetic = true)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        if (exactArithmetic)
        {
            options.AddSessionConfigEntry("session.qdq_matmulnbits_accuracy_level", "0");
        }

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
