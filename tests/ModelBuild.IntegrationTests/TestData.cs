using ModelBuild.Evaluation.Data;

namespace ModelBuild.IntegrationTests;

/// <summary>The MNIST test set (t10k), read once: the images we measure on, never calibrate on.</summary>
internal static class TestData
{
    private static readonly Lazy<IdxImages> s_images = new(() => IdxReader.ReadImages(TestPaths.Mnist("t10k-images-idx3-ubyte.gz")));
    private static readonly Lazy<byte[]> s_labels = new(() => IdxReader.ReadLabels(TestPaths.Mnist("t10k-labels-idx1-ubyte.gz")));

    public static byte[] TestImages => s_images.Value.Pixels;

    public static byte[] TestLabels => s_labels.Value;
}
