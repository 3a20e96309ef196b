using System.IO.Compression;
using ModelBuild.Evaluation.Data;

namespace ModelBuild.Evaluation.Tests;

public sealed class IdxReaderTests
{
    private static readonly string LabelsGz = TestPaths.Mnist("t10k-labels-idx1-ubyte.gz");

    [Fact]
    public void GzipAndPlainGiveTheSameImagesAndLabels()
    {
        using var dir = new ScratchDir();
        string plainImages = Gunzip(TestPaths.Mnist("t10k-images-idx3-ubyte.gz"), dir.File("images"));
        string plainLabels = Gunzip(LabelsGz, dir.File("labels"));

        var gz = IdxReader.ReadImages(TestPaths.Mnist("t10k-images-idx3-ubyte.gz"));
        var plain = IdxReader.ReadImages(plainImages);
        Assert.Equal((10_000, 28, 28), (gz.Count, gz.Rows, gz.Cols));
        Assert.Equal((plain.Count, plain.Rows, plain.Cols), (gz.Count, gz.Rows, gz.Cols));
        Assert.Equal(7_840_000, gz.Pixels.Length);
        Assert.True(gz.Pixels.AsSpan().SequenceEqual(plain.Pixels));

        var labels = IdxReader.ReadLabels(LabelsGz);
        Assert.Equal(labels, IdxReader.ReadLabels(plainLabels));
        // The first MNIST test digits are 7, 2, 1, 0, 4 (LeCun's published sample).
        Assert.Equal([7, 2, 1, 0, 4], labels[..5]);
        Assert.Equal(10_000, labels.Length);
    }

    [Fact]
    public void SmallHandWrittenFileIsDecoded()
    {
        using var dir = new ScratchDir();
        byte[] file = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
        File.WriteAllBytes(dir.File("tiny"), file);

        var images = IdxReader.ReadImages(dir.File("tiny"));
        Assert.Equal((2, 1, 3), (images.Count, images.Rows, images.Cols));
        Assert.Equal([1, 2, 3, 4, 5, 6], images.Pixels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedFileIsMB4002(bool gzip)
    {
        using var dir = new ScratchDir();
        byte[] raw = GunzipBytes(LabelsGz);
        string path = dir.File("labels");
        if (gzip)
        {
            // Cut a valid gzip stream in half: the decompressor runs out of input.
            byte[] gz = File.ReadAllBytes(LabelsGz);
            File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        }
        else
        {
            File.WriteAllBytes(path, raw[..^1]);
        }

        var e = Assert.Throws<ModelBuildException>(() => IdxReader.ReadLabels(path));
        Assert.Equal("MB4002", e.Code);
        Assert.Equal(path, e.File);
    }

    [Fact]
    public void WrongMagicIsMB4002()
    {
        using var dir = new ScratchDir();
        string path = Gunzip(LabelsGz, dir.File("labels"));

        // A label file is not an image file (rank 1, not 3).
        var e = Assert.Throws<ModelBuildException>(() => IdxReader.ReadImages(path));
        Assert.Equal("MB4002", e.Code);
        Assert.Contains("magic", e.Message, StringComparison.Ordinal);

        byte[] bytes = File.ReadAllBytes(path);
        bytes[2] = 0x0D; // float32 element type
        File.WriteAllBytes(path, bytes);
        Assert.Equal("MB4002", Assert.Throws<ModelBuildException>(() => IdxReader.ReadLabels(path)).Code);
    }

    [Fact]
    public void TooLongFileAndTinyFileAreMB4002()
    {
        using var dir = new ScratchDir();
        File.WriteAllBytes(dir.File("long"), [0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3]);
        File.WriteAllBytes(dir.File("tiny"), [0, 0]);
        Assert.Equal("MB4002", Assert.Throws<ModelBuildException>(() => IdxReader.ReadLabels(dir.File("long"))).Code);
        Assert.Equal("MB4002", Assert.Throws<ModelBuildException>(() => IdxReader.ReadLabels(dir.File("tiny"))).Code);
    }

    [Fact]
    public void MissingFileIsMB4003()
    {
        using var dir = new ScratchDir();
        var e = Assert.Throws<ModelBuildException>(() => IdxReader.ReadImages(dir.File("absent.gz")));
        Assert.Equal("MB4003", e.Code);
        Assert.Equal(dir.File("absent.gz"), e.File);
        Assert.Equal("MB4003", Assert.Throws<ModelBuildException>(() => IdxReader.ReadLabels(dir.File("no/such/dir"))).Code);
    }

    private static byte[] GunzipBytes(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    private static string Gunzip(string path, string target)
    {
        File.WriteAllBytes(target, GunzipBytes(path));
        return target;
    }
}
