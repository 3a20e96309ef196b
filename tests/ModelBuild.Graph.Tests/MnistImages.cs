using System.Buffers.Binary;
using System.IO.Compression;

namespace ModelBuild.Graph.Tests;

/// <summary>Reads the first images of the MNIST test set (IDX format, big-endian header).</summary>
internal static class MnistImages
{
    public static byte[][] Read(int count)
    {
        using var gz = new GZipStream(File.OpenRead(TestPaths.MnistImages), CompressionMode.Decompress);
        var header = new byte[16];
        gz.ReadExactly(header);
        Assert.Equal(0x00000803, BinaryPrimitives.ReadInt32BigEndian(header));
        var images = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            images[i] = new byte[28 * 28];
            gz.ReadExactly(images[i]);
        }

        return images;
    }
}
