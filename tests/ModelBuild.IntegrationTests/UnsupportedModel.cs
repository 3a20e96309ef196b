using Google.Protobuf;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.IntegrationTests;

/// <summary>A valid ONNX model (ONNX Runtime runs it) whose Det and TopK the generated runtime does not cover.</summary>
internal static class UnsupportedModel
{
    public static byte[] Create()
    {
        var graph = new GraphProto { Name = "odd" };
        graph.Input.Add(Value("x", 1, 3, 4, 4));
        graph.Output.Add(Value("values", 1, 2));
        var k = new TensorProto { Name = "k", DataType = (int)TensorProto.Types.DataType.Int64 };
        k.Dims.Add(1);
        k.Int64Data.Add(2);
        graph.Initializer.Add(k);

        // Det: [1, 3, 4, 4] → [1, 3], the determinant of each 4×4 matrix; TopK then keeps the 2 largest.
        var det = new NodeProto { Name = "my_det", OpType = "Det" };
        det.Input.Add("x");
        det.Output.Add("y");
        var topk = new NodeProto { Name = "my_topk", OpType = "TopK" };
        topk.Input.Add("y");
        topk.Input.Add("k");
        topk.Output.Add("values");
        topk.Output.Add("indices");
        graph.Node.Add(det);
        graph.Node.Add(topk);

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
