using ModelBuild.Onnx.Proto;
using static ModelBuild.Fuzz.Tests.SeedModels;

namespace ModelBuild.Fuzz.Tests;

/// <summary>
/// One test per kind of fault mutation fuzzing found: each model goes through the whole pipeline and must end in an
/// MB error that names the node (or a correct result), never in another exception.
/// </summary>
public sealed class HostileGraphTests : IDisposable
{
    private readonly PipelineRunner _run = new();

    public void Dispose() => _run.Dispose();

    private static ModelProto ConvModel(params AttributeProto[] attributes) => Model(
        [Input("x", "N", 2, 6, 6)], [Output("y", "N", 4, 4, 4)], [Weight("w", [4, 2, 3, 3])],
        Node("Conv", ["x", "w"], ["y"], attributes));

    private static ModelProto GemmModel(long[] weightDims, params AttributeProto[] attributes) => Model(
        [Input("x", "N", 8)], [Output("y", "N", 4)], [Weight("w", weightDims)],
        Node("Gemm", ["x", "w"], ["y"], attributes));

    [Theory]
    [InlineData("strides", 0L)]
    [InlineData("strides", -1L)]
    [InlineData("dilations", 0L)]
    [InlineData("kernel_shape", 0L)]
    [InlineData("pads", -1L)]
    [InlineData("group", 0L)]
    public void ConvWithZeroOrNegativeStride_IsMB1002NamingTheNode(string attribute, long value)
    {
        var e = _run.Fails(ConvModel(attribute switch { "pads" => Ints(attribute, value, value, value, value), "group" => Int(attribute, value), _ => Ints(attribute, value, value) }));
        Assert.Equal("MB1002", e.Code);
        Assert.Contains("Conv_y", e.Message);
        Assert.Contains(attribute, e.Message);
    }

    [Theory]
    [InlineData("MaxPool")]
    [InlineData("AveragePool")]
    public void PoolWithZeroStride_IsMB1002(string op)
    {
        var model = Model([Input("x", "N", 2, 6, 6)], [Output("y", "N", 2, 3, 3)], [],
            Node(op, ["x"], ["y"], Ints("kernel_shape", 2, 2), Ints("strides", 0, 0)));
        var e = _run.Fails(model);
        Assert.Equal("MB1002", e.Code);
        Assert.Contains("strides", e.Message);
    }

    [Fact]
    public void EmptyRequiredInputName_IsMB1002BeforeFolding()
    {
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [Weight("c", [4])],
            Node("Add", ["c", ""], ["k"]), Node("Add", ["x", "k"], ["y"]));
        var e = _run.Fails(model);
        Assert.Equal("MB1002", e.Code);
        Assert.Contains("Add_k", e.Message);
    }

    [Fact]
    public void NodeWithoutOutputs_IsMB1002()
    {
        var model = Model([Input("x", "N", 4)], [Output("x", "N", 4)], [], Node("Relu", ["x"], []));
        Assert.Equal("MB1002", _run.Fails(model).Code);
    }

    [Fact]
    public void InputWithoutProducer_IsMB3001()
    {
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [], Node("Add", ["x", "nowhere"], ["y"]));
        var e = _run.Fails(model);
        Assert.Equal("MB3001", e.Code);
        Assert.Contains("nowhere", e.Message);
    }

    [Fact]
    public void NodesOutOfOrder_AreSorted()
    {
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [], Node("Relu", ["h"], ["y"]), Node("Neg", ["x"], ["h"]));
        Assert.True(File.Exists(_run.Run(model).PlanPath));
    }

    [Fact]
    public void Cycle_IsMB3001()
    {
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [], Node("Add", ["x", "y"], ["h"]), Node("Relu", ["h"], ["y"]));
        var e = _run.Fails(model);
        Assert.Equal("MB3001", e.Code);
        Assert.Contains("cycle", e.Message);
    }

    [Theory]
    [InlineData("transB", 2L)]
    [InlineData("transA", -1L)]
    [InlineData("transB", 1L << 33)]
    public void GemmTransposeFlagOtherThanZeroOrOne_IsMB1002(string attribute, long value)
    {
        var e = _run.Fails(GemmModel([4, 8], Int(attribute, value)));
        Assert.Equal("MB1002", e.Code);
        Assert.Contains(attribute, e.Message);
    }

    [Theory]
    [InlineData(0L, 8L)]
    [InlineData(4L, 0L)]
    public void ZeroSizeWeight_IsMB3003NamingTheWeight(long rows, long cols)
    {
        var model = Model([Input("x", "N", cols)], [Output("y", "N", rows)], [Weight("w", [rows, cols])], Node("Gemm", ["x", "w"], ["y"], Int("transB", 1)));
        var e = _run.Fails(model);
        Assert.Equal("MB3003", e.Code);
        Assert.Contains("'w'", e.Message);
    }

    [Theory]
    [InlineData("Max")]
    [InlineData("Min")]
    [InlineData("Sum")]
    public void VariadicWithOneInput_IsACopy(string op)
    {
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [], Node(op, ["x"], ["h"]), Node("Relu", ["h"], ["y"]));
        Assert.True(File.Exists(_run.Run(model).PlanPath));
    }

    [Theory]
    [InlineData("Max", 1)]
    [InlineData("Min", 1)] // fuzz case 68068 (seed 2222): Min(a0, "") crashed ONNX Runtime, and the process with it
    [InlineData("Sum", 0)]
    [InlineData("Mean", 1)]
    [InlineData("Concat", 1)]
    public void VariadicWithAnEmptyInputName_IsMB1002BeforeOnnxRuntimeSeesIt(string op, int empty)
    {
        string[] inputs = empty == 0 ? ["", "x"] : ["x", ""];
        var node = op == "Concat" ? Node(op, inputs, ["h"], Int("axis", 1)) : Node(op, inputs, ["h"]);
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [], node, Node("Relu", ["h"], ["y"]));
        var e = _run.Fails(model);
        Assert.Equal("MB1002", e.Code);
        Assert.Contains("every input", e.Message);
    }

    [Fact]
    public void MaxOfThreeInputs_BecomesAChain()
    {
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [Weight("a", [4]), Weight("b", [4])], Node("Max", ["x", "a", "b"], ["y"]));
        Assert.True(File.Exists(_run.Run(model).PlanPath));
    }

    [Fact]
    public void HugeDims_AreAnMBError()
    {
        var model = Model([Input("x", "N", 1L << 40, 1L << 40)], [Output("y", "N", 1L << 40, 1L << 40)], [], Node("Relu", ["x"], ["y"]));
        Assert.StartsWith("MB", _run.Fails(model).Code);
    }

    [Fact]
    public void ZeroSizeSplitAndReshape_AreHandled()
    {
        var model = Model([Input("x", "N", 0, 4)], [Output("a", "N", 0, 2), Output("b", "N", 0, 2)],
            [IntTensor("shape", [3], [-1, 0, 4]), IntTensor("split", [2], [2, 2])],
            Node("Reshape", ["x", "shape"], ["r"]),
            Node("Split", ["r", "split"], ["a", "b"], Int("axis", 2)));
        var e = Record.Exception(() => _run.Run(model));
        Assert.True(e is null or ModelBuildException, e?.ToString());
    }

    [Fact]
    public void DropoutInTrainingMode_IsRefused()
    {
        var flag = new TensorProto { Name = "training", DataType = (int)TensorProto.Types.DataType.Bool, RawData = Google.Protobuf.ByteString.CopyFrom(1) };
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [Weight("ratio", []), flag], Node("Dropout", ["x", "ratio", "training"], ["y"]));
        var e = _run.Fails(model);
        Assert.Equal("MB3003", e.Code);
        Assert.Contains("training mode", e.Message);
    }

    [Fact]
    public void DropoutWithTrainingModeFalse_IsACopy()
    {
        var flag = new TensorProto { Name = "training", DataType = (int)TensorProto.Types.DataType.Bool, RawData = Google.Protobuf.ByteString.CopyFrom(0) };
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [flag], Node("Dropout", ["x", "", "training"], ["h"]), Node("Relu", ["h"], ["y"]));
        Assert.True(File.Exists(_run.Run(model).PlanPath));
    }

    [Theory]
    [InlineData(14)] // complex64: valid ONNX, but not a type to multiply by
    [InlineData(23)] // a code ONNX does not define
    public void WeightOfANonNumericType_IsMB1007NamingIt(int dataType)
    {
        var w = new TensorProto { Name = "w", DataType = dataType, RawData = Google.Protobuf.ByteString.CopyFrom(new byte[8 * 4 * 8]) };
        w.Dims.AddRange([4, 8]);
        var model = Model([Input("x", "N", 8)], [Output("y", "N", 4)], [w], Node("Gemm", ["x", "w"], ["y"], Int("transB", 1)));
        var e = _run.Fails(model);
        Assert.Equal("MB1007", e.Code);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void DimsWhoseProductOverflows_AreMB3002()
    {
        var model = Model([Input("x", "N", 1L << 40, 1L << 40, 1L << 40)], [Output("y", "N", 1)], [], Node("Flatten", ["x"], ["y"], Int("axis", 1)));
        var e = _run.Fails(model);
        Assert.Equal("MB3002", e.Code);
        Assert.Contains("Flatten_y", e.Message);
    }

    [Fact]
    public void UnnamedGraphInput_IsMB1002()
    {
        var model = Model([Input("x", "N", 4), Input("", 2)], [Output("y", "N", 4)], [], Node("Relu", ["x"], ["y"]));
        Assert.Equal("MB1002", _run.Fails(model).Code);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(0f)]
    [InlineData(float.NaN)]
    public void ResizeWithAScaleNotAbove0_IsMB3002NamingTheNode(float scale)
    {
        // Fuzz long run (seed 1111, case 9989): a negative constant scale made a negative dimension (ArgumentOutOfRange).
        var scales = new TensorProto { Name = "scales", DataType = (int)TensorProto.Types.DataType.Float };
        scales.Dims.Add(4);
        scales.FloatData.AddRange([1f, 1f, scale, 2f]);
        var model = Model([Input("x", "N", 2, 4, 4)], [Output("y", "N", 2, 8, 8)], [scales],
            Node("Resize", ["x", "", "scales"], ["y"]));
        model.OpsetImport[0].Version = 13;
        var e = _run.Fails(model);
        Assert.Equal("MB3002", e.Code);
        Assert.Contains("Resize_y", e.Message);
        Assert.Contains("scales", e.Message);
    }

    [Fact]
    public void RoiAlignWithANegativeOutputSize_IsMB3002()
    {
        var rois = Weight("rois", [1, 4], positive: true);
        var batch = IntTensor("batch", [1], [0]);
        var model = Model([Input("x", 1, 2, 6, 6)], [Output("y", 1, 2, 2, 2)], [rois, batch],
            Node("RoiAlign", ["x", "rois", "batch"], ["y"], Int("output_height", -2)));
        var e = _run.Fails(model);
        Assert.Equal("MB3002", e.Code);
        Assert.Contains("output_height", e.Message);
    }

    [Fact]
    public void AxisBeyond32Bits_IsAnMBErrorNamingTheNode()
    {
        // Fuzz long run (seed 1111, cases 54492, 75004, 80528): lowerings narrow axes with checked casts; the overflow
        // escaped as OverflowException. Now it is a blocker like any attribute the runtime cannot take.
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [], Node("Softmax", ["x"], ["y"], Int("axis", 1L << 40)));
        var e = _run.Fails(model, """{ "passes": [] }""");
        Assert.StartsWith("MB", e.Code, StringComparison.Ordinal);
        Assert.Contains("Softmax_y", e.Message);
    }

    [Fact]
    public void OutputWithoutElements_IsMB3002FromTheAccuracyGate_NotAnArgumentException()
    {
        // Fuzz long run (seed 1111, case 33820): the zero-config gate compared rows of a zero-size output.
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 0)],
            [Weight("w", [4, 3]), IntTensor("s", [1], [2]), IntTensor("a", [1], [1])],
            Node("MatMul", ["x", "w"], ["m"]), Node("Slice", ["m", "s", "s", "a"], ["y"]));
        var e = _run.Fails(model);
        Assert.Equal("MB3002", e.Code);
        Assert.Contains("holds no values", e.Message);
    }
}
