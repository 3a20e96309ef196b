using Google.Protobuf;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx.Proto;
using static ModelBuild.Onnx.Tests.ProtoBuilders;
using AttrType = ModelBuild.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace ModelBuild.Onnx.Tests;

/// <summary>Import → export keeps everything the IR does not rewrite: metadata, docs, value_info, odd attributes, unknown fields.</summary>
public sealed class GraphFidelityTests
{
    [Fact]
    public void ImportExport_ReproducesTheModelProtoExactly()
    {
        var original = RichModel();
        var graph = OnnxImporter.Import(original.Clone());
        var exported = OnnxExporter.ToModelProto(graph);
        Assert.Equal(original, exported);
    }

    [Fact]
    public void Import_MapsMetadataDocsShapesAndAttributes()
    {
        var graph = OnnxImporter.Import(RichModel());
        Assert.Equal("model doc", graph.DocString);
        Assert.Equal("graph doc", graph.GraphDocString);
        Assert.Equal([KeyValuePair.Create("author", "tests")], graph.Metadata);
        Assert.Equal([new OpsetImport("", 13), new OpsetImport("com.microsoft", 1)], graph.Opsets);
        Assert.Equal("batch", graph.Inputs[0].Shape![0].Symbol);
        Assert.Equal("input doc", graph.Inputs[0].DocString);
        Assert.False(graph.ValueInfos["h"].Shape![1].IsKnown);
        Assert.Equal("node doc", graph.Nodes[0].DocString);

        var attributes = graph.Nodes.SelectMany(n => n.Attributes).ToDictionary(a => a.Name);
        Assert.Equal(0.5f, attributes["alpha"].Float);
        Assert.Equal(3, attributes["axis"].Int);
        Assert.Equal("SAME_UPPER", attributes["auto_pad"].String);
        Assert.Equal(["a", "b"], attributes["names"].Strings);
        Assert.Equal([1f, 2f], attributes["scales"].Floats);
        Assert.Equal([1L, -1], attributes["perm"].Ints);
        Assert.Equal([7f], attributes["value"].Tensor!.ToFloats());
        Assert.Equal(AttributeKind.Opaque, attributes["then_branch"].Kind);
        Assert.Equal(AttributeKind.Opaque, attributes["binary"].Kind);
    }

    [Fact]
    public void Export_OfEditedGraph_IsAFixedPoint()
    {
        var graph = OnnxImporter.Import(RichModel());
        graph.ValueInfos["late"] = new ValueInfo("late", DataType.Float, TensorShape.Of(2));
        graph.SetInitializer(Tensor.FromFloats("extra", [2], [1f, 2f]));
        var first = OnnxExporter.ToBytes(graph);
        Assert.Equal(first, OnnxExporter.ToBytes(OnnxImporter.Import(OnnxReader.Read(first, null))));
    }

    private static ModelProto RichModel()
    {
        var graph = new GraphProto { Name = "rich", DocString = "graph doc" };
        var input = FloatValue("x", "batch", 4);
        input.DocString = "input doc";
        graph.Input.Add(input);
        graph.Output.Add(FloatValue("y", "batch", 4));
        graph.Initializer.Add(FloatTensor("w", [4], [1, 2, 3, 4]));
        graph.SparseInitializer.Add(new SparseTensorProto { Values = FloatTensor("sv", [1], [5]), Indices = RawTensor("si", TensorProto.Types.DataType.Int64, [1], new byte[8]) });

        var first = Node("LeakyRelu", ["x"], ["h"], "n0", FloatAttr("alpha", 0.5f), IntAttr("axis", 3));
        first.DocString = "node doc";
        graph.Node.Add(first);
        graph.Node.Add(Node("Custom", ["h", "w"], ["y"], "n1",
            new AttributeProto { Name = "auto_pad", Type = AttrType.String, S = ByteString.CopyFromUtf8("SAME_UPPER") },
            new AttributeProto { Name = "names", Type = AttrType.Strings, Strings = { ByteString.CopyFromUtf8("a"), ByteString.CopyFromUtf8("b") } },
            FloatsAttr("scales", 1f, 2f),
            IntsAttr("perm", 1, -1),
            TensorAttr("value", FloatTensor("", [1], [7f])),
            new AttributeProto { Name = "then_branch", Type = AttrType.Graph, G = new GraphProto { Name = "sub", Node = { Node("Identity", ["h"], ["z"], "inner") } } },
            new AttributeProto { Name = "binary", Type = AttrType.String, S = ByteString.CopyFrom(0xFF, 0xFE) }));
        graph.Node[1].Domain = "com.microsoft";
        var h = FloatValue("h", "batch", 4);
        h.Type.TensorType.Shape.Dim[1] = new TensorShapeProto.Types.Dimension();
        graph.ValueInfo.Add(h);

        var model = Model(graph);
        model.DocString = "model doc";
        model.MetadataProps.Add(new StringStringEntryProto { Key = "author", Value = "tests" });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });

        // ModelProto field 25 (model-local functions) is not in our schema subset: it must survive as an unknown field.
        byte[] withFunctions = [.. model.ToByteArray(), 0xCA, 0x01, 0x03, 0x0A, 0x01, 0x66];
        return ModelProto.Parser.ParseFrom(withFunctions);
    }
}

public sealed class UnsupportedConstructTests
{
    [Fact]
    public void SequenceGraphInput_IsMB1007()
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(new ValueInfoProto
        {
            Name = "seq",
            Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = FloatValue("e", 2).Type } },
        });
        var e = Assert.Throws<ModelBuildException>(() => OnnxImporter.Import(Model(graph)));
        Assert.Equal("MB1007", e.Code);
        Assert.Contains("'seq'", e.Message);
    }

    [Fact]
    public void NegativeDimValue_InValueInfo_BecomesUnknownDim()
    {
        var graph = new GraphProto { Name = "g" };
        var input = FloatValue("x", 1, 4);
        input.Type.TensorType.Shape.Dim[0].DimValue = -1;
        graph.Input.Add(input);
        var imported = OnnxImporter.Import(Model(graph));
        Assert.False(imported.Inputs[0].Shape![0].IsKnown);
        Assert.Equal(4, imported.Inputs[0].Shape![1].Value);
    }

    [Fact]
    public void DuplicateInitializer_IsMB1002()
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(FloatTensor("w", [1], [1f]));
        graph.Initializer.Add(FloatTensor("w", [1], [2f]));
        Assert.Equal("MB1002", Assert.Throws<ModelBuildException>(() => OnnxImporter.Import(Model(graph))).Code);
    }
}
