using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx;

namespace ModelBuild.Conformance.Tests;

/// <summary>The converter and the classification, on real node tests (they fail, not skip, when the tests are missing).</summary>
public sealed class NodeTestConverterTests
{
    [Theory]
    [InlineData("test_gemm_all_attributes")] // IR 7: three inputs a, b, c
    [InlineData("test_instancenorm_example")] // IR 3: the exporter must list initializers as inputs again
    public void Later_inputs_become_initializers_holding_the_test_values(string name)
    {
        var test = NodeTestCase.Load(NodeTestFolder.Require(name));
        var bytes = NodeTestConverter.ConvertToBytes(test);

        // Read back what ONNX Runtime and ModelBuild are given: one real input, the rest constants.
        var graph = OnnxImporter.Import(OnnxReader.Read(bytes, baseDirectory: null));
        var first = test.Model.Graph.Input[0];
        Assert.Equal([first.Name], graph.Inputs.Select(i => i.Name));
        Assert.Equal(test.Model.Graph.Input.Skip(1).Select(i => i.Name), graph.Initializers.Select(t => t.Name));
        for (var i = 1; i < test.Inputs.Count; i++)
        {
            var weight = graph.GetInitializer(test.Model.Graph.Input[i].Name)!;
            Assert.Equal(test.Inputs[i]!.Dims, weight.Dims);
            Assert.Equal(test.Inputs[i]!.RawData, weight.RawData);
        }

        Assert.Equal(test.Model.Graph.Node.Select(n => n.OpType), graph.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Onnx_runtime_reproduces_the_expected_output_of_a_converted_model()
    {
        var test = NodeTestCase.Load(NodeTestFolder.Require("test_gemm_all_attributes"));
        var outputs = OrtReference.Run(NodeTestConverter.ConvertToBytes(test), test.Inputs[0]!);
        Assert.Null(Tolerance.Compare(test.Outputs[0]!, outputs[0].Dims, outputs[0].ToDoubles()));

        // The same check sees a converted model whose constants are not the test's: here b is zeroed.
        var zeroed = test with { Inputs = [test.Inputs[0], Zeros(test.Inputs[1]!), test.Inputs[2]] };
        var wrong = OrtReference.Run(NodeTestConverter.ConvertToBytes(zeroed), zeroed.Inputs[0]!);
        Assert.NotNull(Tolerance.Compare(test.Outputs[0]!, wrong[0].Dims, wrong[0].ToDoubles()));
    }

    [Theory]
    [InlineData("test_adam", "training")]
    [InlineData("test_nllloss_NC_expanded", "training")] // a loss spelled out in primitive ops is still a loss
    [InlineData("test_batchnorm_example_training_mode", "training")]
    [InlineData("test_bernoulli", "random")]
    [InlineData("test_training_dropout", "random")]
    [InlineData("test_sequence_insert_at_back", "non-tensor")]
    [InlineData("test_quantizelinear", "quantized")]
    [InlineData("test_and2d", null)] // bool tensors are applicable: the typed API takes and returns bool[]
    [InlineData("test_constant", "no-input")]
    [InlineData("test_dropout_default", null)] // inference-mode Dropout is an identity: applicable
    [InlineData("test_gemm_all_attributes", null)]
    public void Classification_follows_the_documented_exclusion_list(string name, string? category)
    {
        var tests = new[] { name, name.Replace("_expanded", "", StringComparison.Ordinal) }.Distinct()
            .Select(n => NodeTestCase.Load(NodeTestFolder.Require(n))).ToList();
        var singleOp = tests.Where(t => t.Model.Graph.Node.Count == 1).ToDictionary(t => t.Name, t => t.Model.Graph.Node[0].OpType);
        var reason = Applicability.NotApplicable(tests[0], Applicability.OperatorOf(tests[0], singleOp));
        Assert.Equal(category, reason?.Split(':')[0]);
    }

    private static Graph.Tensor Zeros(Graph.Tensor t) => new(t.Name, t.DataType, t.Dims, new byte[t.RawData.Length]);
}
