using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// The report's storage notes say what the runtime does with each compact weight: Gemm/MatMul weights go to the Dense
/// kernels, which read 1–4-bit codes directly, and only weights other operators read (Conv) are decoded at load. Found
/// by a new-user trial: every compact weight was noted as "decoded once at load", contradicting the README.
/// </summary>
public sealed class StorageNoteTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-storage-note-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Int4_Gemm_weights_are_noted_as_read_by_the_dense_kernels_and_conv_weights_as_decoded()
    {
        var manifest = Path.Combine(_dir, "m.json");
        File.WriteAllText(manifest, """{ "passes": [ { "quantize": { "weights": "int4" } } ] }""");
        var result = CompressionPipeline.Run(
            new CompressionRequest(TestPaths.Model("mnist_cnn_fc128.onnx"), manifest, "Cnn", "", Path.Combine(_dir, "out"), "r"), TestServices.Default);

        string[] notes = File.ReadAllLines(result.ReportPath).Where(l => l.Contains("storage: ", StringComparison.Ordinal)).ToArray();
        string dense = Assert.Single(notes, n => n.Contains("the Dense kernels read directly", StringComparison.Ordinal));
        string decoded = Assert.Single(notes, n => n.Contains("decoded once at load into a cached float32 buffer", StringComparison.Ordinal));
        Assert.Contains("fc", dense, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("conv", dense, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("conv", decoded, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("fc", decoded.Split(':')[1], StringComparison.OrdinalIgnoreCase);
    }
}
