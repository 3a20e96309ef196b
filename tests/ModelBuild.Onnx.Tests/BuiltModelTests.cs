using System.Runtime.InteropServices;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx.Proto;
using static ModelBuild.Onnx.Tests.ProtoBuilders;

namespace ModelBuild.Onnx.Tests;

/// <summary>Models built here by hand: all weights as Constant nodes, and weights in external data.</summary>
public sealed class BuiltModelTests
{
    private static readonly float[] s_weights = RandomFloats(12, 7);
    private static readonly float[] s_bias = RandomFloats(3, 8);

    [Fact]
    public void ConstantNodeWeights_BecomeInitializers_AndExportRunsLikeOriginal()
    {
        var w = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
        w.Dims.AddRange([4L, 3]);
        w.FloatData.AddRange(s_weights); // typed field, not raw_data
        var graph = new GraphProto { Name = "constants" };
        graph.Input.Add(FloatValue("x", "N", 4));
        graph.Output.Add(FloatValue("y", "N", 3));
        graph.Node.Add(Node("Constant", [], ["W"], "const_w", TensorAttr("value", w)));
        graph.Node.Add(Node("Constant", [], ["B"], "const_b", FloatsAttr("value_floats", s_bias)));
        graph.Node.Add(Node("Constant", [], ["S"], "const_s", FloatAttr("value_float", 0.75f)));
        graph.Node.Add(Node("Constant", [], ["E"], "const_e", IntAttr("value_int", 2)));
        graph.Node.Add(Node("Constant", [], ["Shape"], "const_shape", IntsAttr("value_ints", -1, 3)));
        graph.Node.Add(Node("MatMul", ["x", "W"], ["mm"], "matmul"));
        graph.Node.Add(Node("Add", ["mm", "B"], ["biased"], "add"));
        graph.Node.Add(Node("Mul", ["biased", "S"], ["scaled"], "mul"));
        graph.Node.Add(Node("Pow", ["scaled", "E"], ["squared"], "pow"));
        graph.Node.Add(Node("Reshape", ["squared", "Shape"], ["y"], "reshape"));
        var original = OnnxWriter.Write(Model(graph));

        var imported = OnnxImporter.Import(OnnxReader.Read(original, null));
        Assert.Equal(["MatMul", "Add", "Mul", "Pow", "Reshape"], imported.Nodes.Select(n => n.OpType));
        Assert.All(imported.Initializers, t => Assert.Equal(TensorOrigin.ConstantNode, t.Origin));
        Assert.Equal(s_weights, imported.GetInitializer("W")!.ToFloats());
        Assert.Equal([4L, 3], imported.GetInitializer("W")!.Dims);
        Assert.Equal(s_bias, imported.GetInitializer("B")!.ToFloats());
        Assert.Empty(imported.GetInitializer("S")!.Dims);
        Assert.Equal([0.75f], imported.GetInitializer("S")!.ToFloats());
        Assert.Equal(DataType.Int64, imported.GetInitializer("E")!.DataType);
        Assert.Equal([2L], imported.GetInitializer("E")!.ToInt64s());
        Assert.Equal([-1L, 3], imported.GetInitializer("Shape")!.ToInt64s());

        var inputs = new Dictionary<string, (float[], int[])> { ["x"] = (RandomFloats(20, 9), [5, 4]) };
        OrtRunner.AssertBitIdentical(OrtRunner.Run(original, inputs), OrtRunner.Run(OnnxExporter.ToBytes(imported), inputs));
    }

    [Fact]
    public void ExternalData_IsLoaded_AndExportRunsLikeOriginal()
    {
        using var dir = new TempDir();
        var junk = new byte[16];
        var wBytes = MemoryMarshal.AsBytes(s_weights.AsSpan()).ToArray();
        var bBytes = MemoryMarshal.AsBytes(s_bias.AsSpan()).ToArray();
        File.WriteAllBytes(dir.File("weights.bin"), [.. junk, .. wBytes, .. bBytes]);
        var model = LinearModel(External("W", [4, 3], "weights.bin", 16, wBytes.Length), External("B", [3], "weights.bin", 16 + wBytes.Length, null));
        var path = dir.File("model.onnx");
        OnnxWriter.WriteFile(model, path);

        var imported = OnnxImporter.Import(path);
        Assert.Equal(s_weights, imported.GetInitializer("W")!.ToFloats());
        Assert.Equal(s_bias, imported.GetInitializer("B")!.ToFloats());

        var inputs = new Dictionary<string, (float[], int[])> { ["x"] = (RandomFloats(8, 10), [2, 4]) };
        OrtRunner.AssertBitIdentical(OrtRunner.Run(path, inputs), OrtRunner.Run(OnnxExporter.ToBytes(imported), inputs));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../outside.bin")]
    [InlineData("..\\outside.bin")]
    public void ExternalData_OutsideModelFolder_IsRefused(string location)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("models"));
        File.WriteAllBytes(dir.File("outside.bin"), new byte[64]);
        var path = Path.Combine(dir.Path, "models", "model.onnx");
        OnnxWriter.WriteFile(LinearModel(External("W", [4, 3], location, 0, 48), FloatTensor("B", [3], s_bias)), path);

        var e = Assert.Throws<ModelBuildException>(() => OnnxReader.Read(path));
        Assert.Equal("MB1004", e.Code);
        Assert.Equal(path, e.File);
        Assert.Contains(location, e.Message);
    }

    [Fact]
    public void ExternalData_ThroughSymlinkLeavingTheFolder_IsRefused()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("models"));
        File.WriteAllBytes(dir.File("secret.bin"), new byte[64]);
        File.CreateSymbolicLink(Path.Combine(dir.Path, "models", "weights.bin"), dir.File("secret.bin"));
        var path = Path.Combine(dir.Path, "models", "model.onnx");
        OnnxWriter.WriteFile(LinearModel(External("W", [4, 3], "weights.bin", 0, 48), FloatTensor("B", [3], s_bias)), path);

        Assert.Equal("MB1004", Assert.Throws<ModelBuildException>(() => OnnxReader.Read(path)).Code);
    }

    [Fact]
    public void ExternalData_InASubfolder_IsLoaded()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("data"));
        File.WriteAllBytes(Path.Combine(dir.Path, "data", "w.bin"), MemoryMarshal.AsBytes(s_weights.AsSpan()).ToArray());
        var path = dir.File("model.onnx");
        OnnxWriter.WriteFile(LinearModel(External("W", [4, 3], "data/w.bin", 0, 48), FloatTensor("B", [3], s_bias)), path);
        Assert.Equal(s_weights, OnnxImporter.Import(path).GetInitializer("W")!.ToFloats());
    }

    [Fact]
    public void ExternalData_ThroughSymlinkedFolderLeavingTheModelFolder_IsRefused()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("models"));
        Directory.CreateDirectory(dir.File("elsewhere"));
        File.WriteAllBytes(Path.Combine(dir.Path, "elsewhere", "w.bin"), new byte[48]);
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "models", "data"), dir.File("elsewhere"));
        var path = Path.Combine(dir.Path, "models", "model.onnx");
        OnnxWriter.WriteFile(LinearModel(External("W", [4, 3], "data/w.bin", 0, 48), FloatTensor("B", [3], s_bias)), path);
        Assert.Equal("MB1004", Assert.Throws<ModelBuildException>(() => OnnxReader.Read(path)).Code);
    }

    [Theory]
    [InlineData(null, 0L, 48L, "MB1005")]   // data file missing
    [InlineData(40, 0L, 48L, "MB1005")]     // file shorter than offset + length
    [InlineData(64, 60L, 48L, "MB1005")]    // offset near the end
    [InlineData(64, 0L, 44L, "MB1006")]     // length present but not what dims need
    public void ExternalData_MissingOrShort_IsReported(int? fileBytes, long offset, long length, string code)
    {
        using var dir = new TempDir();
        if (fileBytes is { } n)
        {
            File.WriteAllBytes(dir.File("weights.bin"), new byte[n]);
        }

        var path = dir.File("model.onnx");
        OnnxWriter.WriteFile(LinearModel(External("W", [4, 3], "weights.bin", offset, length), FloatTensor("B", [3], s_bias)), path);
        Assert.Equal(code, Assert.Throws<ModelBuildException>(() => OnnxReader.Read(path)).Code);
    }

    [Fact]
    public void ExternalData_FromMemoryWithoutBaseDirectory_IsRefused()
    {
        var bytes = OnnxWriter.Write(LinearModel(External("W", [4, 3], "weights.bin", 0, 48), FloatTensor("B", [3], s_bias)));
        Assert.Equal("MB1004", Assert.Throws<ModelBuildException>(() => OnnxReader.Read(bytes, baseDirectory: null)).Code);
    }

    private static ModelProto LinearModel(TensorProto w, TensorProto b)
    {
        var graph = new GraphProto { Name = "linear" };
        graph.Input.Add(FloatValue("x", "N", 4));
        graph.Output.Add(FloatValue("y", "N", 3));
        graph.Initializer.Add(w);
        graph.Initializer.Add(b);
        graph.Node.Add(Node("MatMul", ["x", "W"], ["mm"], "matmul"));
        graph.Node.Add(Node("Add", ["mm", "B"], ["y"], "add"));
        return Model(graph);
    }

    private static TensorProto External(string name, long[] dims, string location, long offset, long? length)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.AddRange(dims);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (length is { } l)
        {
            t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        return t;
    }
}
