using System.Buffers.Binary;
using System.IO.Compression;

namespace ModelBuild.Benchmarks;

/// <summary>
/// The benchmarks' optional real input: the first images of MNIST's t10k set (<c>../shared/data/mnist</c>), scaled as
/// each model was trained (<c>../shared/models/README.md</c>), instead of uniform noise. Chosen with
/// <c>MODELBUILD_BENCH_INPUT=digits</c>: about 80 % of a digit's pixels are 0, and as x/255 (mnist-8, mnist_mlp_256)
/// they stay 0, which the generated code's sparse-row GEMM skips and ONNX Runtime multiplies (mnist_cnn_fc128's
/// (x/255 − 0.5)/0.5 makes them −1). This is the figure a user running these models on digits sees; noise (the
/// default) is the dense worst case.
/// </summary>
internal static class MnistDigits
{
    /// <summary>Whether the environment asks for digits rather than noise.</summary>
    public static bool Requested => Environment.GetEnvironmentVariable("MODELBUILD_BENCH_INPUT") == "digits";

    /// <summary>Whether <paramref name="model"/> takes MNIST digits (28 × 28, one channel).</summary>
    public static bool Fits(string model) => model is "mnist-8" or "mnist_mlp_256" or "mnist_cnn_fc128";

    /// <summary>Fills <paramref name="input"/> (whole 784-pixel images) with t10k's first images, preprocessed for <paramref name="model"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not an IDX image file of 28 × 28 images.</exception>
    public static void Fill(string sharedDir, string model, Span<float> input)
    {
        using var file = File.OpenRead(Path.Combine(sharedDir, "data", "mnist", "t10k-images-idx3-ubyte.gz"));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        Span<byte> header = stackalloc byte[16];
        gzip.ReadExactly(header);
        if (BinaryPrimitives.ReadInt32BigEndian(header) != 2051 || BinaryPrimitives.ReadInt32BigEndian(header[8..]) != 28
            || BinaryPrimitives.ReadInt32BigEndian(header[12..]) != 28)
        {
            throw new InvalidDataException("t10k-images-idx3-ubyte.gz is not an IDX file of 28 × 28 images.");
        }

        var pixels = new byte[input.Length];
        gzip.ReadExactly(pixels);
        for (int i = 0; i < pixels.Length; i++)
        {
            float unit = pixels[i] / 255f;
            input[i] = model == "mnist_cnn_fc128" ? (unit - 0.5f) / 0.5f : unit;
        }
    }
}
