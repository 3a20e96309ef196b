using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Planning;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>The generated predictor's input docs say how the manifest's own data was prepared (what callers must do too).</summary>
public sealed class InputPreprocessingDocTests
{
    private const string Quantize = "\"passes\": [ { \"quantize\": { \"weights\": \"int8\" } } ]";

    [Theory]
    [InlineData("\"validation\": { \"images\": \"v.gz\", \"labels\": \"l.gz\", \"preprocessing\": \"scale=1/255 mean=0.5 std=0.5\" }, \"tolerance\": { \"maxAccuracyDrop\": 0.01 }",
        "preprocessed as the manifest's validation data: scale=1/255 mean=0.5 std=0.5")]
    [InlineData("\"validation\": { \"images\": \"v.gz\", \"preprocessing\": \"unit\", \"metric\": \"agreement\" }, \"tolerance\": { \"minAgreement\": 0.9 }",
        "preprocessed as the manifest's validation data: unit = x/255")]
    [InlineData("\"calibration\": { \"images\": \"c.gz\" }", "preprocessed as the manifest's calibration data: none, the stored values")]
    // Synthetic validation says nothing about real inputs: the calibration data's preprocessing is the one to follow.
    [InlineData("\"calibration\": { \"images\": \"c.gz\", \"preprocessing\": \"mnist\" }, \"validation\": { \"format\": \"synthetic\", \"images\": \"uniform:0,1;seed=7\", \"sampleShape\": [4], \"metric\": \"cosine\" }, \"tolerance\": { \"minCosine\": 0.99 }",
        "preprocessed as the manifest's calibration data: mnist = (x/255 - 0.1307)/0.3081")]
    public void RealData_NamesItsPreprocessing(string sections, string expected)
    {
        var manifest = CompressionManifest.Parse("{ " + Quantize + ", " + sections + " }", "m.json");

        Assert.Equal(expected, InputPreprocessingDoc.Append("", manifest));
        Assert.Equal("Grey-scale digit; " + expected, InputPreprocessingDoc.Append("Grey-scale digit.", manifest));
    }

    [Theory]
    [InlineData("")]
    [InlineData(", \"validation\": { \"format\": \"synthetic\", \"images\": \"uniform:0,1;seed=7\", \"sampleShape\": [4], \"metric\": \"cosine\" }, \"tolerance\": { \"minCosine\": 0.99 }")]
    public void NoRealData_LeavesTheOnnxDocAlone(string sections)
    {
        var manifest = CompressionManifest.Parse("{ " + Quantize + sections + " }", "m.json");

        Assert.Equal("Grey-scale digit.", InputPreprocessingDoc.Append("Grey-scale digit.", manifest));
    }
}
