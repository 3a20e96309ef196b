using ModelBuild.Evaluation.Data;

namespace ModelBuild.IntegrationTests;

/// <summary>The MNIST test set (t10k), read once: the images we measure on, never calibrate on.</summary>
internal static class TestData
{
    /// <summary>
    /// How far a generated predictor's batched outputs may lie from ONNX Runtime's on the compressed .onnx, relative to
    /// max(1, |y|). Float paths agree to 1e-4 (summation order); int8 Dense (1–7 rows with AVX2 + FMA, and from 5
    /// rows without AVX-512) or 4-bit Dense (AVX2 + FMA, AVX-512 on or off) multiply inputs rounded to 16-bit fixed point (FixedPointGemm: |x − x̂| ≤ 2^−15 of each 256-input block's largest
    /// |x|), which moves MNIST logits by up to ~3e-4. A wrong scale, offset or code order moves them by far more.
    /// </summary>
    public const double BatchedAgainstOnnxRuntime = 1e-3;

    private static readonly Lazy<IdxImages> s_images = new(() => IdxReader.ReadImages(TestPaths.Mnist("t10k-images-idx3-ubyte.gz")));
    private static readonly Lazy<byte[]> s_labels = new(() => IdxReader.ReadLabels(TestPaths.Mnist("t10k-labels-idx1-ubyte.gz")));

    public static byte[] TestImages => s_images.Value.Pixels;

    public static byte[] TestLabels => s_labels.Value;
}
