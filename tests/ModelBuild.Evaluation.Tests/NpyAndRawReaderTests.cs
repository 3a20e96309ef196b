using ModelBuild.Evaluation.Data;

namespace ModelBuild.Evaluation.Tests;

public sealed class NpyAndRawReaderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Float32ArrayIsRead(int version)
    {
        using var dir = new ScratchDir();
        float[] values = [1.5f, -2.25f, 0f, float.MaxValue, 1e-20f, -0f];
        NpyFiles.Write(dir.File("a.npy"), "<f4", [2, 3], NpyFiles.Floats(values), version: version);

        var array = NpyReader.Read(dir.File("a.npy"));
        Assert.Equal([2, 3], array.Shape);
        Assert.Equal(values, array.Data);
    }

    [Fact]
    public void Uint8ArrayIsConvertedToFloat()
    {
        using var dir = new ScratchDir();
        NpyFiles.Write(dir.File("u.npy"), "|u1", [4], [0, 1, 128, 255]);

        var array = NpyReader.Read(dir.File("u.npy"));
        Assert.Equal([4], array.Shape);
        Assert.Equal([0f, 1f, 128f, 255f], array.Data);
    }

    [Fact]
    public void ScalarHasEmptyShape()
    {
        using var dir = new ScratchDir();
        NpyFiles.Write(dir.File("s.npy"), "<f4", [], NpyFiles.Floats(3f));
        var array = NpyReader.Read(dir.File("s.npy"));
        Assert.Empty(array.Shape);
        Assert.Equal([3f], array.Data);
    }

    [Theory]
    [InlineData("<f4", true, 24)]   // Fortran order
    [InlineData(">f4", false, 24)]  // big-endian
    [InlineData("<f8", false, 48)]  // float64
    [InlineData("<f4", false, 20)]  // data too short
    [InlineData("<f4", false, 28)]  // data too long
    public void UnsupportedOrInconsistentFilesAreMB4002(string descr, bool fortran, int dataBytes)
    {
        using var dir = new ScratchDir();
        NpyFiles.Write(dir.File("bad.npy"), descr, [2, 3], new byte[dataBytes], fortran);

        var e = Assert.Throws<ModelBuildException>(() => NpyReader.Read(dir.File("bad.npy")));
        Assert.Equal("MB4002", e.Code);
        Assert.Equal(dir.File("bad.npy"), e.File);
        if (fortran)
        {
            Assert.Contains("Fortran", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void NotAnNpyFileIsMB4002AndMissingIsMB4003()
    {
        using var dir = new ScratchDir();
        File.WriteAllText(dir.File("x.npy"), "just some text, long enough");
        Assert.Equal("MB4002", Assert.Throws<ModelBuildException>(() => NpyReader.Read(dir.File("x.npy"))).Code);
        Assert.Equal("MB4003", Assert.Throws<ModelBuildException>(() => NpyReader.Read(dir.File("none.npy"))).Code);
    }

    [Fact]
    public void RawFloat32SamplesAreRead()
    {
        using var dir = new ScratchDir();
        float[] values = Enumerable.Range(0, 12).Select(i => (i * 0.5f) - 3f).ToArray();
        File.WriteAllBytes(dir.File("r.bin"), NpyFiles.Floats(values));

        var data = RawTensorReader.ReadFloat32(dir.File("r.bin"), [2, 3]);
        Assert.Equal(values, data);
        Assert.Equal(2, data.Length / 6);
    }

    [Fact]
    public void RawLengthNotAMultipleIsMB4002AndMissingIsMB4003()
    {
        using var dir = new ScratchDir();
        File.WriteAllBytes(dir.File("r.bin"), NpyFiles.Floats(1, 2, 3, 4, 5));
        var e = Assert.Throws<ModelBuildException>(() => RawTensorReader.ReadFloat32(dir.File("r.bin"), [2, 2]));
        Assert.Equal("MB4002", e.Code);

        File.WriteAllBytes(dir.File("odd.bin"), [1, 2, 3, 4, 5, 6]);
        Assert.Equal("MB4002", Assert.Throws<ModelBuildException>(() => RawTensorReader.ReadFloat32(dir.File("odd.bin"), [1])).Code);
        Assert.Equal("MB4003", Assert.Throws<ModelBuildException>(() => RawTensorReader.ReadFloat32(dir.File("none.bin"), [1])).Code);
    }
}
