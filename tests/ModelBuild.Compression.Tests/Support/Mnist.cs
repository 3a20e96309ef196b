using System.Buffers.Binary;
using System.IO.Compression;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>The first images and labels of the MNIST test set (gzipped IDX, big-endian headers).</summary>
internal static class Mnist
{
    public static (byte[][] Images, byte[] Labels) ReadTest(int count)
    {
        using var images = new GZipStream(File.OpenRead(Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte.gz")), CompressionMode.Decompress);
        var header = new byte[16];
        images.ReadExactly(header);
        Assert.Equal(0x00000803, BinaryPrimitives.ReadInt32BigEndian(header));
        var result = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            result[i] = new byte[28 * 28];
            images.ReadExactly(result[i]);
        }

        using var labels = new GZipStream(File.OpenRead(Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte.gz")), CompressionMode.Decompress);
        var labelHeader = new byte[8];
        labels.ReadExactly(labelHeader);
        Assert.Equal(0x00000801, BinaryPrimitives.ReadInt32BigEndian(labelHeader));
        var labelBytes = new byte[count];
        labels.ReadExactly(labelBytes);
        return (result, labelBytes);
    }

    /// <summary>A [count,1,28,28] batch, each pixel mapped by <paramref name="scale"/> (the model's own preprocessing).</summary>
    public static float[] Batch(byte[][] images, Func<byte, float> scale) =>
        images.SelectMany(image => image.Select(scale)).ToArray();
}
