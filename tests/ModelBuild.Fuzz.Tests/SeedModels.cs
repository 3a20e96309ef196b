using System.Runtime.InteropServices;
using Google.Protobuf;
using ModelBuild.Onnx.Proto;
using AttrType = ModelBuild.Onnx.Proto.AttributeProto.Types.AttributeType;
using DT = ModelBuild.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelBuild.Fuzz.Tests;

/// <summary>
/// The fuzzer's starting points: the shared models and bug cases (real exporters' layouts) plus small built graphs
/// that cover the operators the folding and inference passes handle (a mutation of a 26 KB model reaches more code
/// per second than one of a 1.6 MB model).
/// </summary>
internal static class SeedModels
{
    public static IReadOnlyList<Seed> Load()
    {
        var seeds = new List<Seed>();
        foreach (var dir in new[] { FuzzPaths.SharedModels, FuzzPaths.BugCases })
        {
            if (Directory.Exists(dir))
            {
                seeds.AddRange(Directory.GetFiles(dir, "*.onnx").Order(StringComparer.Ordinal).Select(f => new Seed(Path.GetFileName(f), File.ReadAllBytes(f))));
            }
        }

        seeds.AddRange(Built().Select(b => new Seed(b.Name, b.Model.ToByteArray())));
        return seeds;
    }

    private static IEnumerable<(string Name, ModelProto Model)> Built()
    {
        yield return ("built_conv_pool_gemm", Model(
            [Input("x", 1, 2, 6, 6)], [Output("y", 1, 3)],
            [Weight("w", [4, 2, 3, 3]), Weight("b", [4]), Weight("fc", [3, 16]), Weight("fcb", [3]),
             Weight("gamma", [4]), Weight("beta", [4]), Weight("mean", [4]), Weight("var", [4], positive: true)],
            Node("Conv", ["x", "w", "b"], ["c"], Ints("strides", 1, 1), Ints("pads", 0, 0, 0, 0), Ints("kernel_shape", 3, 3)),
            Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"]),
            Node("Relu", ["bn"], ["r"]),
            Node("MaxPool", ["r"], ["p"], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)),
            Node("Flatten", ["p"], ["f"], Int("axis", 1)),
            Node("Gemm", ["f", "fc", "fcb"], ["g"], Int("transB", 1), Float("alpha", 1f)),
            Node("Dropout", ["g"], ["y"])));

        yield return ("built_shape_reshape_split", Model(
            [Input("x", "N", 4, 6)], [Output("a", "N", 12), Output("b", "N", 12)],
            [Ints64("axes", [1], [0]), Ints64("starts", [1], [0]), Ints64("ends", [1], [1]), Ints64("split", [2], [12, 12])],
            Node("Shape", ["x"], ["s"]),
            Node("Slice", ["s", "starts", "ends", "axes"], ["n"]),
            Node("Constant", [], ["m1"], TensorAttr("value", IntTensor("m1v", [1], [24]))),
            Node("Concat", ["n", "m1"], ["shape"], Int("axis", 0)),
            Node("Reshape", ["x", "shape"], ["flat"]),
            Node("Split", ["flat", "split"], ["a0", "b0"], Int("axis", 1)),
            Node("Max", ["a0", "b0"], ["a"]),
            Node("Min", ["a0", "b0"], ["b"])));

        yield return ("built_matmul_elementwise", Model(
            [Input("x", 2, 8)], [Output("y", 2, 4)],
            [Weight("w", [8, 4]), Weight("bias", [4]), Weight("k", [1]), IntTensor("axes0", [1], [0])],
            Node("MatMul", ["x", "w"], ["m"]),
            Node("Add", ["m", "bias"], ["a"]),
            Node("Mul", ["a", "k"], ["mk"]),
            Node("Transpose", ["mk"], ["t"], Ints("perm", 1, 0)),
            Node("Unsqueeze", ["t", "axes0"], ["u"]),
            Node("Squeeze", ["u", "axes0"], ["t2"]),
            Node("Transpose", ["t2"], ["t3"], Ints("perm", 1, 0)),
            Node("Clip", ["t3"], ["c"]),
            Node("Softmax", ["c"], ["y"], Int("axis", -1))));

        yield return ("built_constant_folding", Model(
            [Input("x", 1, 3, 4, 4)], [Output("y", 1, 3, 2, 2)],
            [Weight("c1", [3, 1, 1]), Weight("c2", [3, 1, 1]), IntTensor("pads", [8], [0, 0, 0, 0, 0, 0, 0, 0])],
            Node("Add", ["c1", "c2"], ["c3"]),
            Node("Sqrt", ["c3"], ["c4"]),
            Node("Div", ["x", "c4"], ["d"]),
            Node("Pad", ["d", "pads"], ["pd"]),
            Node("AveragePool", ["pd"], ["ap"], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)),
            Node("Cast", ["ap"], ["y"], Int("to", 1))));
    }

    internal static ModelProto Model(ValueInfoProto[] inputs, ValueInfoProto[] outputs, TensorProto[] weights, params NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = "seed" };
        graph.Input.AddRange(inputs);
        graph.Output.AddRange(outputs);
        graph.Initializer.AddRange(weights);
        graph.Node.AddRange(nodes);
        var model = new ModelProto { IrVersion = 8, ProducerName = "ModelBuild.Fuzz", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    internal static ValueInfoProto Input(string name, params object[] dims) => Value(name, dims);

    internal static ValueInfoProto Output(string name, params object[] dims) => Value(name, dims);

    internal static ValueInfoProto Value(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => d is string s
            ? new TensorShapeProto.Types.Dimension { DimParam = s }
            : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float, Shape = shape } } };
    }

    internal static TensorProto Weight(string name, long[] dims, bool positive = false)
    {
        var random = new Random(name.Length * 7919 + (int)dims.Sum());
        var values = new float[dims.Aggregate(1L, (a, d) => a * d)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = positive ? 0.5f + (float)random.NextDouble() : (float)(random.NextDouble() * 2 - 1);
        }

        var t = new TensorProto { Name = name, DataType = (int)DT.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    internal static TensorProto Ints64(string name, long[] dims, long[] values) => IntTensor(name, dims, values);

    internal static TensorProto IntTensor(string name, long[] dims, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)DT.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    internal static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = op + "_" + outputs.FirstOrDefault() };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    internal static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttrType.Int, I = value };

    internal static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttrType.Float, F = value };

    internal static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttrType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    internal static AttributeProto TensorAttr(string name, TensorProto t) => new() { Name = name, Type = AttrType.Tensor, T = t };
}

/// <summary>One starting model: a name for reports and its bytes.</summary>
internal sealed record Seed(string Name, byte[] Bytes);

internal static class FuzzPaths
{
    private static readonly string s_shared = Path.GetFullPath(Path.Combine(FindRepoRoot(), "..", "shared"));

    public static string SharedModels => Path.Combine(s_shared, "models");

    public static string BugCases => Path.Combine(s_shared, "bugcases");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelBuild.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ModelBuild.sln not found above " + AppContext.BaseDirectory);
    }
}
