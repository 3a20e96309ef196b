using System.Globalization;
using ModelBuild.Compression.Planning;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Tests.Planning;

public sealed class PlanWriterTests
{
    [Fact]
    public void Writes_records_in_contract_order_with_invariant_numbers_and_escaped_strings()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            var plan = new ModelPlan { ClassName = "M", Namespace = "", SourceFile = "a \"b\".onnx", ResourceName = "R" };
            plan.Values.Add(ValueDecl.Activation("x", TensorType.Float32, 0));
            plan.Values.Add(ValueDecl.Activation("y", TensorType.Float32, 1));
            plan.Values.Add(ValueDecl.Inline("s", TensorType.Int64, [1, -1], [2]));
            plan.ValueShapes.AddRange([["N", "10"], ["N", "10"], null]);
            plan.Inputs.Add(new PlanTensor(0, "x", 0, TensorType.Float32, ["N", "10"], "doc\nline"));
            plan.Outputs.Add(new PlanTensor(0, "y", 1, TensorType.Float32, ["N", "10"], ""));
            plan.Ops.Add(new UnaryOp(0, 1, UnaryFunction.LeakyRelu, 0.1f, 0f) { Node = "n" });
            plan.Ops.Add(new TransposeOp(1, 0, [1, 0]) { Node = "t" });

            var lines = PlanWriter.Write(plan).Split('\n');

            Assert.Equal("mbplan 2", lines[0]);
            Assert.Equal("namespace", lines[2]);
            Assert.Equal("source \"a \\\"b\\\".onnx\"", lines[3]);
            Assert.Contains("value 0 name=\"x\" type=float32 slot=0 shape=\"N,10\"", lines);
            Assert.Contains("value 2 name=\"s\" type=int64 dims=[2] data=[1,-1]", lines);
            Assert.Contains("input 0 name=\"x\" value=0 type=float32 shape=\"N,10\" doc=\"doc\\nline\"", lines);
            Assert.Contains("op Unary node=\"n\" X=0 Y=1 Function=UnaryFunction.LeakyRelu Alpha=0.1 Beta=0", lines);
            Assert.Contains("op Transpose node=\"t\" X=1 Y=0 Perm=[1,0]", lines);
            Assert.Equal(["end", ""], lines[^2..]);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Infinities_and_nan_use_the_contract_spelling() =>
        Assert.Equal(["inf", "-inf", "nan", "1E-07"],
            [PlanWriter.Num(float.PositiveInfinity), PlanWriter.Num(float.NegativeInfinity), PlanWriter.Num(float.NaN), PlanWriter.Num(1e-7f)]);

    [Fact]
    public void Every_runtime_op_round_trips_through_its_plan_record()
    {
        Op[] ops =
        [
            new ConvOp(0, 1, 2, -1, [3, 3], [1, 2], [1, 1], [1, 1, 0, 0], "SAME_UPPER", 2, Activation.Relu) { Node = "c" },
            new SliceOp(0, 1, [0, -1], [long.MaxValue, long.MinValue], [], [1, -2], -1, 3, -1, -1) { Node = "s" },
            new ReshapeOp(0, 1, -1, [0, -1], true) { Node = "r" },
            new UnaryOp(0, 1, UnaryFunction.Clip, float.NegativeInfinity, 6f) { Node = "clip \"q\"" },
            new ReduceOp(0, 1, ReduceFunction.LogSumExp, [0, -1], false, true) { Node = "reduce" },
            new TopKOp(0, -1, 1, 2, 5L, -1, false, true) { Node = "topk" },
            new ResizeOp(0, 4, 1, -1, 2, [-2, -1], ResizeMode.Cubic, ResizeCoordinates.TfCropAndResize, NearestRounding.Legacy, -0.5f, true, 7.25f,
                AspectRatioPolicy.NotSmaller) { Node = "resize" },
            new ConvTransposeOp(0, 1, 2, 3, [2, 3, 2], [2, 1, 2], [1, 1, 1], [0, 1, 0, 1, 0, 1], [1, 0, 0], [], "SAME_LOWER", 2) { Node = "ct" },
            new PoolOp(0, 1, 2, true, [3], [2], [1], [1, 1], "NOTSET", true, false, true) { Node = "pool" },
            new GlobalMaxPoolOp(0, 1) { Node = "gmp" },
        ];
        foreach (var op in ops)
        {
            var line = OpCodec.Write(op);
            var tokens = PlanTokens.Split(line);
            var args = tokens.Skip(2).ToDictionary(t => t[..t.IndexOf('=')], t => t[(t.IndexOf('=') + 1)..]);
            var node = PlanTokens.Unquote(args["node"]);
            args.Remove("node");
            var back = OpCodec.Read(tokens[1], node, args);
            Assert.Equal(line, OpCodec.Write(back));
        }
    }

    [Fact]
    public void Unknown_keys_kinds_and_bad_tokens_are_format_errors()
    {
        Assert.Throws<FormatException>(() => OpCodec.Read("Nope", "", new Dictionary<string, string>()));
        Assert.Throws<FormatException>(() => OpCodec.Read("Transpose", "", new Dictionary<string, string> { ["X"] = "0", ["Y"] = "1" }));
        Assert.Throws<FormatException>(() => OpCodec.Read("Transpose", "", new Dictionary<string, string> { ["X"] = "0", ["Y"] = "1", ["Perm"] = "[1,0]", ["Z"] = "2" }));
        Assert.Throws<FormatException>(() => OpCodec.Read("Unary", "", new Dictionary<string, string>
        {
            ["X"] = "0", ["Y"] = "1", ["Function"] = "BinaryFunction.Add", ["Alpha"] = "0", ["Beta"] = "0",
        }));
    }
}
