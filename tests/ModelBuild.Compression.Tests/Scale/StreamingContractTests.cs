using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx;

namespace ModelBuild.Compression.Tests.Scale;

/// <summary>
/// The streaming contract behind issue 12's memory bound, checked on a small model (RSS of small runs is the
/// runtime's, so the bound itself is <see cref="LargeModelTests"/>' job): external weights are not read when the
/// model is imported, each is read when used, and streaming changes no output byte.
/// </summary>
public sealed class StreamingContractTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-stream-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Import_leaves_external_weights_on_disk_until_they_are_read()
    {
        var model = Path.Combine(_dir, "m.onnx");
        LargeModelWriter.Write(model, layers: 2, width: 8);
        var graph = OnnxImporter.Import(model);
        var w1 = graph.GetInitializer("w1")!;
        Assert.True(w1.Deferred);
        Assert.Equal(Path.Combine(_dir, "m.onnx.data"), w1.External!.Path);
        Assert.Equal(8 * 8 * 4, w1.External.Offset);

        // Rewrite w1's bytes after the import: an import that had loaded them would still return the old values.
        var replacement = Enumerable.Range(0, 64).Select(i => i * 0.5f).ToArray();
        using (var data = new FileStream(w1.External.Path, FileMode.Open, FileAccess.Write))
        {
            data.Seek(w1.External.Offset, SeekOrigin.Begin);
            data.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(replacement.AsSpan()));
        }

        Assert.Equal(replacement, w1.ToFloats());
    }

    [Fact]
    public void A_deferred_weight_whose_file_shrank_is_MB1005_when_read()
    {
        var model = Path.Combine(_dir, "m.onnx");
        LargeModelWriter.Write(model, layers: 2, width: 8);
        var graph = OnnxImporter.Import(model);
        using (var data = new FileStream(model + ".data", FileMode.Open, FileAccess.Write))
        {
            data.SetLength(8 * 8 * 4 + 10);
        }

        Assert.Equal(8 * 8, graph.GetInitializer("w0")!.ToFloats().Length); // the first tensor is still all there
        var error = Assert.Throws<ModelBuildException>(() => graph.GetInitializer("w1")!.ToFloats());
        Assert.Equal("MB1005", error.Code);
    }

    [Fact]
    public void Deferred_reading_keeps_the_read_checks_of_external_data()
    {
        var model = Path.Combine(_dir, "m.onnx");
        LargeModelWriter.Write(model, layers: 1, width: 8);
        var proto = OnnxReader.ReadDeferringExternalData(model).Model;
        proto.Graph.Initializer[0].ExternalData[0].Value = "../outside.data";
        File.WriteAllBytes(Path.Combine(_dir, "escape.onnx"), OnnxWriter.Write(proto));
        var error = Assert.Throws<ModelBuildException>(() => OnnxImporter.Import(Path.Combine(_dir, "escape.onnx")));
        Assert.Equal("MB1004", error.Code);

        proto.Graph.Initializer[0].ExternalData[0].Value = "m.onnx.data";
        proto.Graph.Initializer[0].Dims[0] = 9; // 9×8 floats need 288 bytes; the entry's length says 256
        File.WriteAllBytes(Path.Combine(_dir, "short.onnx"), OnnxWriter.Write(proto));
        Assert.Equal("MB1006", Assert.Throws<ModelBuildException>(() => OnnxImporter.Import(Path.Combine(_dir, "short.onnx"))).Code);
    }

    [Fact]
    public void Streamed_compression_writes_the_same_bytes_as_the_in_memory_model()
    {
        var externalDir = Directory.CreateDirectory(Path.Combine(_dir, "external")).FullName;
        var inlineDir = Directory.CreateDirectory(Path.Combine(_dir, "inline")).FullName;
        var external = Path.Combine(externalDir, "mlp.onnx");
        var weightBytes = LargeModelWriter.Write(external, layers: 3, width: 48);
        var inline = Path.Combine(inlineDir, "mlp.onnx");
        OnnxWriter.WriteFile(OnnxReader.Read(external), inline); // Read loads the external data into raw_data

        var streamed = CompressionPipeline.Run(new CompressionRequest(external, "", "Mlp", "", Path.Combine(externalDir, "out"), "r"), TestServices.Default);
        var held = CompressionPipeline.Run(new CompressionRequest(inline, "", "Mlp", "", Path.Combine(inlineDir, "out"), "r"), TestServices.Default);

        Assert.Equal(File.ReadAllBytes(held.WeightsPath), File.ReadAllBytes(streamed.WeightsPath));
        Assert.Equal(File.ReadAllBytes(held.CompressedModelPath), File.ReadAllBytes(streamed.CompressedModelPath));
        Assert.Equal(new FileInfo(inline).Length, held.OriginalBytes);
        Assert.Equal(new FileInfo(external).Length + weightBytes, streamed.OriginalBytes); // the report counts the external data
    }

    [Fact]
    public void Editing_only_the_external_data_recompresses_and_the_inputs_list_names_it()
    {
        var model = Path.Combine(_dir, "m.onnx");
        LargeModelWriter.Write(model, layers: 2, width: 16);
        var output = Path.Combine(_dir, "out");
        CompressionResult Build() => CompressionPipeline.Run(new CompressionRequest(model, "", "M", "", output, "r"), TestServices.Default);

        var first = Build();
        var firstWeights = File.ReadAllBytes(first.WeightsPath);
        Assert.Contains(Path.GetFullPath(model + ".data"), File.ReadAllLines(Path.Combine(output, "M.inputs"))); // MSBuild's Inputs
        Assert.EndsWith("(unchanged)", Build().Summary);

        // Same size, every weight doubled: the .onnx is byte for byte the same, so only the data file can tell.
        var data = File.ReadAllBytes(model + ".data");
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data.AsSpan());
        for (var i = 0; i < floats.Length; i++)
        {
            floats[i] *= 2;
        }

        File.WriteAllBytes(model + ".data", data);
        var again = Build();
        Assert.DoesNotContain("(unchanged)", again.Summary);
        Assert.NotEqual(firstWeights, File.ReadAllBytes(again.WeightsPath));
        Assert.EndsWith("(unchanged)", Build().Summary);
    }
}
