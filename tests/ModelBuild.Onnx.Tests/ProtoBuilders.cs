using System.Runtime.InteropServices;
using Google.Protobuf;
using ModelBuild.Onnx.Proto;
using AttrType = ModelBuild.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace ModelBuild.Onnx.Tests;

/// <summary>Small helpers to build ONNX protos by hand in tests.</summary>
internal static class ProtoBuilders
{
    public static ModelProto Model(GraphProto graph, long irVersion = 8, long opset = 13)
    {
        var model = new ModelProto { IrVersion = irVersion, ProducerName = "ModelBuild.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static ValueInfoProto FloatValue(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public static TensorProto RawTensor(string name, TensorProto.Types.DataType type, long[] dims, byte[] raw)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }

    public static TensorProto FloatTensor(string name, long[] dims, float[] values) =>
        RawTensor(name, TensorProto.Types.DataType.Float, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static NodeProto Node(string op, string[] inputs, string[] outputs, string name, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto TensorAttr(string name, TensorProto t) => new() { Name = name, Type = AttrType.Tensor, T = t };

    public static AttributeProto FloatAttr(string name, float f) => new() { Name = name, Type = AttrType.Float, F = f };

    public static AttributeProto IntAttr(string name, long i) => new() { Name = name, Type = AttrType.Int, I = i };

    public static AttributeProto FloatsAttr(string name, params float[] f)
    {
        var a = new AttributeProto { Name = name, Type = AttrType.Floats };
        a.Floats.AddRange(f);
        return a;
    }

    public static AttributeProto IntsAttr(string name, params long[] i)
    {
        var a = new AttributeProto { Name = name, Type = AttrType.Ints };
        a.Ints.AddRange(i);
        return a;
    }

    public static float[] RandomFloats(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}
