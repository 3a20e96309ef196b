using ModelBuild.Compression.Planning;
using ModelBuild.Graph;
using ModelBuild.Graph.Passes;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// Constant folding through the runtime's own operators (<see cref="RuntimeConstantEvaluator"/>): covered operators
/// on constants become constants with the values a float64 reference gives; what must not fold stays a node.
/// </summary>
public sealed class RuntimeConstantFoldingTests
{
    /// <summary>x [1, n] + op(constant): the op's output is a weight once folded.</summary>
    private static ModelGraph WithConstantBranch(Node branch, Tensor constant, string branchOutput, int n)
    {
        var graph = new ModelGraph();
        graph.Opsets.Add(new OpsetImport("", 17));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, TensorShape.Of(1, n)));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, TensorShape.Of(1, n)));
        graph.SetInitializer(constant);
        graph.Nodes.Add(branch);
        graph.Nodes.Add(new Node("Add", ["x", branchOutput], ["y"], "add"));
        return graph;
    }

    [Fact]
    public void Softmax_of_a_constant_is_folded_to_the_float64_values()
    {
        float[] logits = [0.5f, -1.25f, 3f, 0f, 2.5f];
        var graph = WithConstantBranch(new Node("Softmax", ["c"], ["s"], "softmax"), Tensor.FromFloats("c", [1, 5], logits), "s", 5);

        GraphOptimizer.Simplify(graph, RuntimeConstantEvaluator.Instance);

        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "Softmax");
        var folded = graph.GetInitializer("s")!.ToFloats();
        var sum = logits.Sum(v => Math.Exp(v));
        for (var i = 0; i < logits.Length; i++)
        {
            Assert.Equal(Math.Exp(logits[i]) / sum, folded[i], 1e-6);
        }
    }

    [Fact]
    public void Without_the_runtime_evaluator_the_built_in_one_does_not_fold_softmax()
    {
        // Guards the test above: it must be the runtime evaluator that folded the node.
        var graph = WithConstantBranch(new Node("Softmax", ["c"], ["s"], "softmax"), Tensor.FromFloats("c", [1, 3], [1f, 2f, 3f]), "s", 3);
        GraphOptimizer.Simplify(graph);
        Assert.Contains(graph.Nodes, n => n.OpType == "Softmax");
    }

    [Fact]
    public void A_result_much_larger_than_its_inputs_stays_computed()
    {
        // Concat of a 40,000-element constant with itself: 80,000 elements, above the small-result limit and
        // larger than the input, so shipping it as a weight would double the blob for nothing.
        var half = RuntimeConstantEvaluator.SmallResultElements * 5 / 8;
        var constant = Tensor.FromFloats("c", [1, half], Enumerable.Range(0, (int)half).Select(i => (float)i).ToArray());
        var graph = WithConstantBranch(new Node("Concat", ["c", "c"], ["s"], "concat") { Attributes = { NodeAttribute.Of("axis", 1L) } }, constant, "s", (int)(2 * half));

        var evaluated = RuntimeConstantEvaluator.Instance.TryEvaluate(graph.Nodes[0], [constant, constant], 17);

        Assert.Null(evaluated);
    }

    [Fact]
    public void A_result_much_larger_than_its_inputs_stays_computed_through_the_pass_and_its_fallback()
    {
        // The built-in evaluator also folds Concat: the size policy must hold whichever evaluator computed it.
        var half = RuntimeConstantEvaluator.SmallResultElements * 5 / 8;
        var constant = Tensor.FromFloats("c", [1, half], Enumerable.Range(0, (int)half).Select(i => (float)i).ToArray());
        var graph = WithConstantBranch(new Node("Concat", ["c", "c"], ["s"], "concat") { Attributes = { NodeAttribute.Of("axis", 1L) } }, constant, "s", (int)(2 * half));

        new ConstantFoldingPass(RuntimeConstantEvaluator.Instance).Run(graph);

        Assert.Contains(graph.Nodes, n => n.OpType == "Concat");
    }

    [Fact]
    public void A_small_multi_input_result_is_folded_with_its_shape()
    {
        var a = Tensor.FromFloats("a", [2, 1], [1f, 2f]);
        var b = Tensor.FromFloats("b", [2, 2], [10f, 20f, 30f, 40f]);
        var node = new Node("Concat", ["a", "b"], ["s"], "concat") { Attributes = { NodeAttribute.Of("axis", 1L) } };

        var result = Assert.Single(RuntimeConstantEvaluator.Instance.TryEvaluate(node, [a, b], 17)!);

        Assert.Equal("s", result.Name);
        Assert.Equal([2L, 3L], result.Dims);
        Assert.Equal([1f, 10f, 20f, 2f, 30f, 40f], result.ToFloats());
    }

    [Fact]
    public void Integer_division_by_zero_is_left_to_the_graph_not_a_crash()
    {
        var a = Tensor.FromInt64s("a", [2], [4, 5]);
        var b = Tensor.FromInt64s("b", [2], [2, 0]);
        var node = new Node("Div", ["a", "b"], ["q"], "div");

        Assert.Null(RuntimeConstantEvaluator.Instance.TryEvaluate(node, [a, b], 17));
    }

    [Fact]
    public void Random_operators_are_never_folded()
    {
        var shape = Tensor.FromFloats("like", [2], [0f, 0f]);
        var node = new Node("RandomUniformLike", ["like"], ["r"], "random");

        Assert.Null(RuntimeConstantEvaluator.Instance.TryEvaluate(node, [shape], 17));
    }
}
