namespace ModelBuild.Generator.Tests.Execution;

/// <summary>The issue's two requirements for a model with symbolic H and W: no allocation per call, and thread safety.</summary>
public sealed class DynamicShapeTests
{
    /// <summary>
    /// Measured inside the compiled harness (no reflection between the two readings of the thread's allocation
    /// counter). Mlp and Layout cover the dense, element-wise, data-movement and int64 shape ops; Dynamic adds Conv and
    /// Pool at symbolic H and W, the case the issue names.
    /// </summary>
    [Theory]
    [InlineData("Dynamic", new[] { 2, 3, 12, 10 })]
    [InlineData("Mlp", new[] { 3, 4 })]
    [InlineData("Layout", new[] { 3, 2, 3 })]
    public void SpanOverload_AtARepeatedShape_AllocatesNothing(string name, int[] shape)
    {
        var model = CompiledModel.Get(name);
        var input = Tensor.Random(shape, seed: 3);
        var capacity = References.Interpreter(model.Model, input)[0].Data.Length;

        var bytes = model.Call<long>("AllocatedBytes", input.Data, shape, capacity);

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void SpanOverload_OnEightThreadsWithDifferentGrowingAndShrinkingShapes_MatchesTheSingleThreadedResults()
    {
        var model = CompiledModel.Get("Dynamic");
        int[][] shapes = [[1, 3, 4, 4], [2, 3, 16, 12], [1, 3, 6, 20], [1, 3, 2, 2], [3, 3, 10, 8], [1, 3, 9, 5], [2, 3, 4, 30], [1, 3, 24, 24]];
        var inputs = shapes.Select((s, i) => Tensor.Random(s, seed: 100 + i)).ToArray();
        var expected = inputs.Select(t => Run(model, t)).ToArray();

        // Each thread walks the shapes from its own starting point, so at any moment threads run different shapes
        // and each thread's buffers grow and shrink; a shared buffer or shape would show as a mismatch.
        using var start = new Barrier(8);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var round = 0; round < 3 * shapes.Length; round++)
            {
                var k = (t + (round * (t % 2 == 0 ? 1 : 3))) % shapes.Length;
                var (data, shape) = Run(model, inputs[k]);
                if (!shape.SequenceEqual(expected[k].Shape) || !data.SequenceEqual(expected[k].Data))
                {
                    failures.Add($"thread {t}, round {round}, shape [{string.Join(",", inputs[k].Shape)}]");
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures);
    }

    private static (float[] Data, int[] Shape) Run(CompiledModel model, Tensor input)
    {
        var result = model.Call<object[]>("ShapedSpan", input.Data, input.Shape, input.Data.Length, 4);
        var outputShape = (int[])result[1];
        return (((float[])result[0])[..(int)result[2]], outputShape);
    }
}
