using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Runtime;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// Issue 13 D4: pruned weights are stored sparse (format 8) whichever pass comes after the pruning — none, a linear
/// quantiser or fp16 — and the runtime reads back exactly the pruned zeros. The pipeline itself checks the
/// generated plan against ONNX Runtime on the compressed model (MB5004 otherwise), so a run that returns is also
/// that check passing.
/// </summary>
public sealed class PrunedStorageTests : IDisposable
{
    private const long Fp32WeightBytes = 940_584; // mnist_mlp_256: 235,146 float32 parameters
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-pruned-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Bounds from the formats (docs/FORMATS.md), 90 % zeros: kept values (0.1 × element size) plus a CSR or bitmask
    // index of about 0.11–0.125 B per weight, plus the float32 biases. Dense storage is 4, 1, 0.5 and 2 B per weight.
    [Theory]
    [InlineData("", 0.20)]                                          // float32: 0.1·4 + 0.125 ≈ 0.53 B (dense: 4)
    [InlineData("""{ "quantize": {} }""", 0.07)]                   // int8: 0.1 + 0.125 ≈ 0.23 B (dense: 1)
    [InlineData("""{ "quantize": { "weights": "int4" } }""", 0.05)] // int4: 0.05 + 0.125 ≈ 0.18 B (dense: 0.5)
    [InlineData("""{ "quantize": { "weights": "fp16" } }""", 0.11)] // fp16: 0.2 + 0.125 ≈ 0.33 B (dense: 2)
    public void Ninety_percent_pruned_weights_are_stored_sparse(string after, double maxShareOfFp32)
    {
        var passes = """{ "prune": { "sparsity": 0.9 } }""" + (after.Length == 0 ? "" : ", " + after);
        var result = Run($$"""{ "passes": [ {{passes}} ] }""");

        Assert.True(result.EmbeddedBytes <= maxShareOfFp32 * Fp32WeightBytes,
            $"{passes}: {result.EmbeddedBytes:N0} bytes = {(double)result.EmbeddedBytes / Fp32WeightBytes:P1} of float32");
        var blob = WeightBlob.Load(File.ReadAllBytes(result.WeightsPath));
        var weights = Enumerable.Range(0, blob.Count).Where(i => blob.Dims(i).Length == 2).ToList();
        Assert.Equal(3, weights.Count);
        Assert.All(weights, i => Assert.Equal(8, blob.StoredFormat(i)));

        // Global magnitude pruning zeroes round(0.9 · n) of the n weights; quantisers keep those zeros exactly.
        var values = weights.SelectMany(blob.Floats).ToArray();
        Assert.Equal(Math.Round(0.9 * values.Length), values.LongCount(v => v == 0));
    }

    [Fact]
    public void Unpruned_weights_stay_dense()
    {
        var result = Run("""{ "passes": [ { "quantize": {} } ] }""");

        var blob = WeightBlob.Load(File.ReadAllBytes(result.WeightsPath));
        Assert.All(Enumerable.Range(0, blob.Count).Where(i => blob.Dims(i).Length == 2), i => Assert.Equal(2, blob.StoredFormat(i)));
    }

    private CompressionResult Run(string manifestJson)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, "run" + Directory.GetDirectories(_dir).Length)).FullName;
        var manifest = Path.Combine(dir, "m.json");
        File.WriteAllText(manifest, manifestJson);
        return CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Mlp", "", Path.Combine(dir, "out"), "r"), TestServices.Default);
    }
}
