using ModelBuild.Runtime;

namespace ModelBuild.Generator.Tests.Execution;

/// <summary>
/// The MLP written out in float64 with the weights the blob holds (int8 entries dequantised by the blob's reference
/// decoder): a reference that shares no kernel with the predictor and no graph rewrite with ONNX Runtime.
/// </summary>
public sealed class Float64ReferenceTests
{
    /// <summary>Float32 sums of at most 8 products of values in [-1, 1): a few ulps of 1, far below any indexing error.</summary>
    private const double Tolerance = 2e-6;

    [Theory]
    [InlineData("Mlp")]
    [InlineData("MlpInt8")]
    public void Mlp_MatchesFloat64Maths_OnTheBlobsWeights(string name)
    {
        var model = CompiledModel.Get(name);
        var blob = WeightBlob.Load(model.Model.Blob);
        var input = Tensor.Random([6, 4], seed: 21);

        var actual = (float[])model.Call<object[]>("Shaped", input.Data, input.Shape)[0];

        var expected = Mlp(input.Data, 6, blob.Floats(1), blob.Floats(0), blob.Floats(3), blob.Floats(2), out double[] rounding);
        for (var i = 0; i < expected.Length; i++)
        {
            // Int8 Dense layers at ≥ 5 rows without AVX-512 multiply in integers (FixedPointGemm): x rounded to 16-bit
            // fixed point, |x − x̂| ≤ 2^−15 of its row's largest |x|, which the float64 bound below follows through.
            double tolerance = Tolerance + (name == "MlpInt8" ? rounding[i / 3] : 0);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: float64 {expected[i]:R}, generated {actual[i]:R}, tolerance {tolerance:E2}");
        }
    }

    /// <summary>
    /// softmax(W2 · relu(W1 · x + b1) + b2), weights stored one row per output unit; <paramref name="rounding"/> bounds per
    /// sample what rounding each layer's input to 16-bit fixed point moves an output: the logits by at most
    /// Σ|w2|·(e1 + 2^−15·max|h|) with e1 = Σ|w1|·2^−15·max|x|, each probability by at most twice the largest logit change.
    /// </summary>
    private static double[] Mlp(float[] x, int batch, float[] w1, float[] b1, float[] w2, float[] b2, out double[] rounding)
    {
        var y = new double[batch * 3];
        rounding = new double[batch];
        const double Step = 1.0 / 32768;
        for (var s = 0; s < batch; s++)
        {
            var h = new double[8];
            var e1 = new double[8];
            double xMax = Enumerable.Range(0, 4).Max(k => Math.Abs((double)x[(s * 4) + k]));
            for (var j = 0; j < 8; j++)
            {
                double sum = b1[j];
                for (var k = 0; k < 4; k++)
                {
                    sum += (double)w1[(j * 4) + k] * x[(s * 4) + k];
                    e1[j] += Math.Abs(w1[(j * 4) + k]) * Step * xMax;
                }

                h[j] = Math.Max(0, sum);
            }

            double hMax = h.Max();
            double e2 = Enumerable.Range(0, 3).Max(j => Enumerable.Range(0, 8).Sum(k => Math.Abs((double)w2[(j * 8) + k]) * (e1[k] + (Step * (hMax + e1.Max())))));
            rounding[s] = 2 * e2;

            var logits = new double[3];
            for (var j = 0; j < 3; j++)
            {
                logits[j] = b2[j] + Enumerable.Range(0, 8).Sum(k => (double)w2[(j * 8) + k] * h[k]);
            }

            var max = logits.Max();
            var total = logits.Sum(l => Math.Exp(l - max));
            for (var j = 0; j < 3; j++)
            {
                y[(s * 3) + j] = Math.Exp(logits[j] - max) / total;
            }
        }

        return y;
    }
}
