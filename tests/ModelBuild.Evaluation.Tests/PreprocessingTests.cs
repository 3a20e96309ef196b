using ModelBuild.Evaluation.Data;

namespace ModelBuild.Evaluation.Tests;

public sealed class PreprocessingTests
{
    [Fact]
    public void SingleChannelMatchesHandComputedValues()
    {
        var spec = new PreprocessingSpec(1f / 255f, [0.5f], [0.5f], TensorLayout.Nchw);
        var dst = new float[4];
        spec.Apply(new byte[] { 0, 51, 255, 128 }, 1, 2, 2, dst);

        // (0/255 − 0.5)/0.5 = −1, (51/255 − 0.5)/0.5 = −0.6, (1 − 0.5)/0.5 = 1, (128/255 − 0.5)/0.5 = 1/255.
        double[] expected = [-1, -0.6, 1, 1.0 / 255];
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i], dst[i], 1e-6);
        }
    }

    [Fact]
    public void ThreeChannelsPerChannelMeanStdInBothLayouts()
    {
        // Two pixels, RGB interleaved (as stored in image files): (10,20,30), (40,50,60).
        byte[] pixels = [10, 20, 30, 40, 50, 60];
        float[] mean = [1, 2, 3];
        float[] std = [2, 4, 8];
        var nchw = new float[6];
        var nhwc = new float[6];
        new PreprocessingSpec(0.5f, mean, std, TensorLayout.Nchw).Apply(pixels, 3, 1, 2, nchw);
        new PreprocessingSpec(0.5f, mean, std, TensorLayout.Nhwc).Apply(pixels, 3, 1, 2, nhwc);

        // R: (5−1)/2=2, (20−1)/2=9.5; G: (10−2)/4=2, (25−2)/4=5.75; B: (15−3)/8=1.5, (30−3)/8=3.375.
        Assert.Equal([2f, 9.5f, 2f, 5.75f, 1.5f, 3.375f], nchw);
        Assert.Equal([2f, 2f, 1.5f, 9.5f, 5.75f, 3.375f], nhwc);
    }

    [Fact]
    public void ParseReadsCompactFormAndPresets()
    {
        var spec = PreprocessingSpec.Parse("scale=1/255; mean=0.485,0.456,0.406 std=0.229,0.224,0.225 layout=NHWC");
        Assert.Equal(1f / 255f, spec.Scale);
        Assert.Equal([0.485f, 0.456f, 0.406f], spec.Mean);
        Assert.Equal([0.229f, 0.224f, 0.225f], spec.Std);
        Assert.Equal(TensorLayout.Nhwc, spec.Layout);

        var mnist = PreprocessingSpec.Parse("mnist");
        Assert.Equal((1f / 255f, 0.1307f, 0.3081f, TensorLayout.Nchw), (mnist.Scale, mnist.Mean[0], mnist.Std[0], mnist.Layout));
        Assert.Equal(0.5f, PreprocessingSpec.Parse("symmetric").Mean[0]);
        Assert.Equal(1f, PreprocessingSpec.Parse("raw").Scale);
        Assert.Equal(0.25f, PreprocessingSpec.Parse("scale=0.25").Scale);

        var roundTrip = PreprocessingSpec.Parse(spec.ToString());
        Assert.Equal((spec.Scale, spec.Layout), (roundTrip.Scale, roundTrip.Layout));
        Assert.Equal(spec.Mean, roundTrip.Mean);
        Assert.Equal(spec.Std, roundTrip.Std);
    }

    [Theory]
    [InlineData("scale=abc")]
    [InlineData("std=0")]
    [InlineData("layout=chw")]
    [InlineData("gamma=2")]
    [InlineData("mean=1,2 std=1,2,3")]
    public void BadCompactFormIsMB4004(string text)
    {
        var e = Assert.Throws<ModelBuildException>(() => PreprocessingSpec.Parse(text, "spec.json"));
        Assert.Equal("MB4004", e.Code);
        Assert.Equal("spec.json", e.File);
    }

    [Fact]
    public void DatasetSpecLoadsNpyWithPreprocessingAndCount()
    {
        using var dir = new ScratchDir();
        // Three samples of [2 channels, 1, 2] as uint8, NCHW.
        NpyFiles.Write(dir.File("x.npy"), "|u1", [3, 2, 1, 2], [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
        NpyFiles.Write(dir.File("y.npy"), "|u1", [3], [4, 5, 6]);
        File.WriteAllText(dir.File("ds.json"), """
            // comments are allowed
            { "Images": "x.npy", "labels": "y.npy", "format": "npy", "preprocessing": "scale=0.1 mean=1,2 std=1,2", "count": 2 }
            """);

        var spec = DatasetSpec.Load(dir.File("ds.json"));
        var (samples, count, shape, labels) = spec.LoadSamples(dir.Path);

        Assert.Equal(2, count);
        Assert.Equal([2, 1, 2], shape);
        Assert.Equal([4, 5], labels);
        // Channel 0: x·0.1 − 1; channel 1: (x·0.1 − 2)/2.
        double[] expected = [-1, 0, 0, 0.5, 3, 4, 2, 2.5];
        Assert.Equal(expected.Length, samples.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], samples[i], 1e-6);
        }
    }

    [Fact]
    public void DatasetSpecOffsetSkipsSamplesAndKeepsLabelsAligned()
    {
        using var dir = new ScratchDir();
        File.WriteAllBytes(dir.File("x.bin"), NpyFiles.Floats(1, 2, 3, 4, 5, 6, 7, 8));
        NpyFiles.Write(dir.File("y.npy"), "|u1", [4], [10, 11, 12, 13]);

        // A part (the first two) and the rest (offset 2) of one file are disjoint and cover it.
        var (part, partCount, _, partLabels) = DatasetSpec.Parse("""{ "images": "x.bin", "labels": "y.npy", "format": "raw", "sampleShape": [2], "count": 2 }""").LoadSamples(dir.Path);
        var (rest, restCount, _, restLabels) = DatasetSpec.Parse("""{ "images": "x.bin", "labels": "y.npy", "format": "raw", "sampleShape": [2], "offset": 2 }""").LoadSamples(dir.Path);
        var (middle, middleCount, _, middleLabels) = DatasetSpec.Parse("""{ "images": "x.bin", "labels": "y.npy", "format": "raw", "sampleShape": [2], "offset": 1, "count": 2 }""").LoadSamples(dir.Path);

        Assert.Equal((2, 2, 2), (partCount, restCount, middleCount));
        Assert.Equal([1f, 2f, 3f, 4f], part);
        Assert.Equal([10, 11], partLabels!);
        Assert.Equal([5f, 6f, 7f, 8f], rest);
        Assert.Equal([12, 13], restLabels!);
        Assert.Equal([3f, 4f, 5f, 6f], middle);
        Assert.Equal([11, 12], middleLabels!);
    }

    [Fact]
    public void DatasetSpecOffsetPastTheEndIsMB4004()
    {
        using var dir = new ScratchDir();
        File.WriteAllBytes(dir.File("x.bin"), NpyFiles.Floats(1, 2, 3, 4));
        var e = Assert.Throws<ModelBuildException>(() => DatasetSpec.Parse("""{ "images": "x.bin", "format": "raw", "sampleShape": [2], "offset": 2 }""", "ds.json").LoadSamples(dir.Path));
        Assert.Equal("MB4004", e.Code);
        Assert.Contains("\"offset\" 2 skips every sample", e.Message, StringComparison.Ordinal);
        Assert.Equal("MB4004", Assert.Throws<ModelBuildException>(() => DatasetSpec.Parse("""{ "images": "x", "offset": -1 }""", "ds.json")).Code);
    }

    [Fact]
    public void DatasetSpecLoadsRawSamples()
    {
        using var dir = new ScratchDir();
        File.WriteAllBytes(dir.File("x.bin"), NpyFiles.Floats(1, 2, 3, 4, 5, 6));
        var spec = DatasetSpec.Parse("""{ "images": "x.bin", "format": "raw", "sampleShape": [3] }""");
        var (samples, count, shape, labels) = spec.LoadSamples(dir.Path);

        Assert.Equal(2, count);
        Assert.Equal([3], shape);
        Assert.Null(labels);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], samples);
    }

    [Theory]
    [InlineData("""{ "images": "x", "colour": true }""")]
    [InlineData("""{ "images": "x", "format": "png" }""")]
    [InlineData("""{ "images": "x", "format": "raw" }""")]
    [InlineData("""{ "format": "idx" }""")]
    [InlineData("""{ "images": "x", "count": -1 }""")]
    [InlineData("""{ "images": "x", "preprocessing": "scale=" }""")]
    [InlineData("""{ "images": "x", """)]
    [InlineData("[1, 2]")]
    public void BadDatasetSpecIsMB4004(string json)
    {
        var e = Assert.Throws<ModelBuildException>(() => DatasetSpec.Parse(json, "ds.json"));
        Assert.Equal("MB4004", e.Code);
        Assert.Equal("ds.json", e.File);
    }

    [Fact]
    public void FewerLabelsThanSamplesIsMB4004AndMissingDataIsMB4003()
    {
        using var dir = new ScratchDir();
        NpyFiles.Write(dir.File("x.npy"), "<f4", [2, 1], NpyFiles.Floats(1, 2));
        NpyFiles.Write(dir.File("y.npy"), "|u1", [1], [3]);
        var spec = DatasetSpec.Parse("""{ "images": "x.npy", "labels": "y.npy", "format": "npy" }""", "ds.json");
        Assert.Equal("MB4004", Assert.Throws<ModelBuildException>(() => spec.LoadSamples(dir.Path)).Code);

        var missing = spec with { Images = "absent.npy" };
        var e = Assert.Throws<ModelBuildException>(() => missing.LoadSamples(dir.Path));
        Assert.Equal("MB4003", e.Code);
        Assert.Equal(dir.File("absent.npy"), e.File);
    }
}
