using Google.Protobuf;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Compression.Validation;
using ModelBuild.Onnx.Proto;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using Xunit.Abstractions;
using DT = ModelBuild.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// The plan check on models with several inputs and non-float inputs: every input is fed with its own type and
/// shape, the report says so, and a planted faulty kernel fails with MB5004 naming its node.
/// </summary>
public sealed class PlanVerifierInputsTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-planverify-").FullName;

    [Fact]
    public void Two_activations_Add_then_MatMul_are_both_fed_and_checked()
    {
        var path = Save("two.onnx", TwoActivations());
        var note = Check(path);
        Assert.StartsWith("generated code checked against ONNX Runtime", note, StringComparison.Ordinal);
        Assert.Contains("all 3 input(s) fed: 'a' float32 [2,3,4], 'b' float32 [2,3,4], 'c' float32 [2,4,5]", note, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sum")]
    [InlineData("y")]
    public void A_faulty_kernel_in_a_two_input_model_fails_naming_its_node(string node)
    {
        var path = Save("two.onnx", TwoActivations());
        var e = Assert.Throws<ModelBuildException>(() => Check(path, Plant(node)));
        Assert.Equal("MB5004", e.Code);
        Assert.Contains($"first at node '{node}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DT.Int64)]
    [InlineData(DT.Int32)]
    public void An_embedding_gets_indices_in_range_and_is_checked(DT indexType)
    {
        var path = Save("embed.onnx", Embedding(indexType));
        var note = Check(path);
        Assert.StartsWith("generated code checked against ONNX Runtime", note, StringComparison.Ordinal);
        var type = indexType == DT.Int64 ? "int64" : "int32";
        Assert.Contains($"'ids' {type} [2,5] (values 0..49), 'pos' float32 [5,8]", note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_faulty_Gather_kernel_on_int64_indices_fails_naming_its_node()
    {
        var path = Save("embed.onnx", Embedding(DT.Int64));
        var e = Assert.Throws<ModelBuildException>(() => Check(path, Plant("emb")));
        Assert.Equal("MB5004", e.Code);
        Assert.Contains("first at node 'emb'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bool_input_is_fed_random_flags()
    {
        var path = Save("where.onnx", Masked());
        var note = Check(path);
        Assert.StartsWith("generated code checked against ONNX Runtime", note, StringComparison.Ordinal);
        Assert.Contains("'mask' bool [2,6]", note, StringComparison.Ordinal);
        var e = Assert.Throws<ModelBuildException>(() => Check(path, Plant("y")));
        Assert.Contains("first at node 'y'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_float16_model_is_checked_in_its_own_type()
    {
        var path = Path.Combine(TestPaths.SharedDir, "bugcases", "c28_gemm_fp16_model.onnx");
        var note = Check(path);
        output.WriteLine(note);
        Assert.StartsWith("generated code checked against ONNX Runtime", note, StringComparison.Ordinal);
        Assert.Contains("float16", note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_it_cannot_feed_says_why_it_was_not_checked()
    {
        // A second symbolic dim no other input pins: nothing to choose it from, so the report says so (no silent skip).
        var path = Save("seq.onnx", Model([Input("x", DT.Float, "N", "seq")], [Output("y")], [], Node("Relu", ["x"], "y")));
        Assert.Equal("generated code not checked against ONNX Runtime: the input 'x' has dim 1 = seq (symbolic, or over 4096); pin it (InputShapes)", Check(path));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Check(string path, Func<Op, Op>? kernels = null)
    {
        var (plan, blob) = ExactPlanner.Build(path);
        return PlanVerifier.Check(plan, blob, File.ReadAllBytes(path), ExactPlanner.Prepare(path), TestServices.Default.Runner!, null, path, kernels ?? (op => op));
    }

    /// <summary>Plants a kernel one element off at the op of ONNX node <paramref name="node"/>.</summary>
    private static Func<Op, Op> Plant(string node) => op =>
        op.Node == node && op.GetType().GetProperty("Y")?.GetValue(op) is int y ? new OneElementOff(op, y) { Node = op.Node } : op;

    private sealed record OneElementOff(Op Inner, int Y) : Op
    {
        public override void Execute(OpContext c)
        {
            Inner.Execute(c);
            var y = c.OutputFloats(Y, c.Shape(Y).ToArray());
            y[^1] += 0.5f + MathF.Abs(y[^1]);
        }
    }

    // sum = a + b; y = sum @ c (both MatMul operands computed at run time).
    private static ModelProto TwoActivations() => Model(
        [Input("a", DT.Float, "N", 3, 4), Input("b", DT.Float, "N", 3, 4), Input("c", DT.Float, "N", 4, 5)], [Output("y")], [],
        Node("Add", ["a", "b"], "sum"), Node("MatMul", ["sum", "c"], "y"));

    // y = Relu(table[ids] + pos): the indices must stay below the table's 50 rows.
    private static ModelProto Embedding(DT indexType)
    {
        var rng = new Random(11);
        var table = new TensorProto { Name = "table", DataType = (int)DT.Float };
        table.Dims.AddRange([50, 8]);
        table.FloatData.AddRange(Enumerable.Range(0, 400).Select(_ => (float)rng.NextDouble() - 0.5f));
        var gather = Node("Gather", ["table", "ids"], "emb");
        gather.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        return Model([Input("ids", indexType, "N", 5), Input("pos", DT.Float, 5, 8)], [Output("y")], [table],
            gather, Node("Add", ["emb", "pos"], "sum"), Node("Relu", ["sum"], "y"));
    }

    // y = Where(mask, x, -x) * 2
    private static ModelProto Masked() => Model(
        [Input("mask", DT.Bool, "N", 6), Input("x", DT.Float, "N", 6)], [Output("y")], [Scalar("two", 2f)],
        Node("Neg", ["x"], "neg"), Node("Where", ["mask", "x", "neg"], "pick"), Node("Mul", ["pick", "two"], "y"));

    private string Save(string name, ModelProto model)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static ModelProto Model(ValueInfoProto[] inputs, ValueInfoProto[] outputs, TensorProto[] weights, params NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = "inputs" };
        graph.Input.AddRange(inputs);
        graph.Output.AddRange(outputs);
        graph.Initializer.AddRange(weights);
        graph.Node.AddRange(nodes);
        var model = new ModelProto { IrVersion = 8, ProducerName = "ModelBuild.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    private static ValueInfoProto Input(string name, DT type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    private static ValueInfoProto Output(string name) =>
        new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float } } };

    private static TensorProto Scalar(string name, float value)
    {
        var t = new TensorProto { Name = name, DataType = (int)DT.Float };
        t.FloatData.Add(value);
        return t;
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }
}
