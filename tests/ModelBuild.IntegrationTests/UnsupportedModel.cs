using Google.Protobuf;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.IntegrationTests;

/// <summary>A valid ONNX model (ONNX Runtime runs it) whose LpPool and GlobalLpPool the generated runtime does not cover.</summary>
internal static class UnsupportedModel
{
    public static byte[] Create()
    {
        var graph = new GraphProto { Name = "odd" };
        graph.Input.Add(Value("x", 1, 3, 4, 4));
        graph.Output.Add(Value("values", 1, 3, 1, 1));

        // LpPool (p = 2, 2×2 windows): [1, 3, 4, 4] → [1, 3, 3, 3]; GlobalLpPool then pools each channel to 1×1.
        var pool = new NodeProto { Name = "my_lppool", OpType = "LpPool" };
        pool.Input.Add("x");
        pool.Output.Add("y");
        var kernel = new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints };
        kernel.Ints.Add(2);
        kernel.Ints.Add(2);
        pool.Attribute.Add(kernel);
        var global = new NodeProto { Name = "my_globallppool", OpType = "GlobalLpPool" };
        global.Input.Add("y");
        global.Output.Add("values");
        graph.Node.Add(pool);
        graph.Node.Add(global);

        var model = new ModelProto { IrVersion = 8, ProducerName = "ModelBuild tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
