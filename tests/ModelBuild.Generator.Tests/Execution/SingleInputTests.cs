namespace ModelBuild.Generator.Tests.Execution;

/// <summary>
/// Every Predict overload of the single-input predictors, compiled and run, against ONNX Runtime on the original
/// model and the plan interpreter on the same plan.
/// </summary>
public sealed class SingleInputTests
{
    public static TheoryData<string, int[]> Shapes => new()
    {
        { "Mlp", [1, 4] }, { "Mlp", [7, 4] }, { "MlpInt8", [3, 4] }, { "MlpInt8Act", [1, 4] }, { "MlpInt8Act", [6, 4] }, { "Conv", [1, 1, 6, 6] }, { "Conv", [3, 1, 6, 6] },
        { "Layout", [1, 2, 3] }, { "Layout", [5, 2, 3] }, { "Fixed", [2, 2, 3, 3] },
        { "Dynamic", [1, 3, 8, 8] }, { "Dynamic", [2, 3, 6, 10] }, { "Dynamic", [1, 3, 5, 7] },
    };

    public static TheoryData<string, int> Batches => new()
    {
        { "Mlp", 1 }, { "Mlp", 7 }, { "MlpInt8", 5 }, { "MlpInt8Act", 5 }, { "Conv", 3 }, { "Layout", 1 }, { "Layout", 5 }, { "Fixed", 2 }, { "Fixed", 6 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ShapeTakingOverloads_MatchOrt_AndTheInterpreterBitForBit(string name, int[] shape)
    {
        var model = CompiledModel.Get(name);
        var input = Tensor.Random(shape, seed: shape.Sum());
        var ort = References.Ort(model.Model, input)[0];
        var interpreted = References.Interpreter(model.Model, input)[0];

        var shaped = model.Call<object[]>("Shaped", input.Data, shape);
        Expect.CloseToOrt(ort, (float[])shaped[0], (int[])shaped[1]);
        Expect.BitIdentical(interpreted, (float[])shaped[0], (int[])shaped[1]);

        // Spare room in both spans: the count and the shape's rank say how much was written.
        var span = model.Call<object[]>("ShapedSpan", input.Data, shape, ort.Data.Length + 5, 6);
        var written = (int)span[2];
        Assert.Equal(ort.Data.Length, written);
        Expect.BitIdentical(interpreted, ((float[])span[0])[..written], ((int[])span[1])[..ort.Shape.Length]);
        Assert.All(((int[])span[1])[ort.Shape.Length..], d => Assert.Equal(0, d));

        Assert.Equal(ort.Shape, model.Call<int[]>("OutputShapeOf", shape));
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void BatchedOverloads_MatchOrt_AndTheInterpreterBitForBit(string name, int batch)
    {
        var model = CompiledModel.Get(name);
        var shape = model.Spec.Inputs[0].Shape.Select((d, i) => i == 0 ? batch : int.Parse(d, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var input = Tensor.Random(shape, seed: batch);

        // A fixed-batch model takes its own batch only; the generated API runs whole chunks of it, as do the references.
        var chunk = model.Spec.Inputs[0].Dim(0) > 0 ? model.Spec.Inputs[0].Dim(0) : batch;
        var ort = References.Chunked(References.Ort, model.Model, input, chunk);
        var interpreted = References.Chunked(References.Interpreter, model.Model, input, chunk);

        foreach (var actual in new[]
        {
            model.Call<float[]>("Array", input.Data),
            model.Call<float[]>("Span", input.Data, ort.Data.Length),
            model.Call<float[]>("SpanBatch", input.Data, ort.Data.Length, batch),
        })
        {
            Expect.CloseToOrt(ort, actual, ort.Shape);
            Expect.BitIdentical(interpreted, actual, ort.Shape);
        }
    }

    [Theory]
    [InlineData("Mlp", new[] { -1, 4, int.MinValue, -1, 3 }, new[] { 4, 3, 1 })]
    [InlineData("Conv", new[] { -1, 1, 6, 6, int.MinValue, -1, 4 }, new[] { 36, 4, 1 })]
    [InlineData("Layout", new[] { -1, 2, 3, int.MinValue, -1, 12 }, new[] { 6, 12, 1 })]
    [InlineData("Fixed", new[] { 2, 2, 3, 3, int.MinValue, 2, 3 }, new[] { 18, 3, 0 })]
    [InlineData("Dynamic", new[] { -1, 3, -1, -1, int.MinValue, -1, 2, -1, -1 }, null)]
    public void DeclaredShapes_AndTheBatchedApiOnlyWhereTheShapesAllowIt(string name, int[] declared, int[]? perSample)
    {
        var model = CompiledModel.Get(name);

        Assert.Equal(declared, model.Call<int[]>("Declared"));
        Assert.Equal(model.Spec.SourceFile, model.Call<ModelBuild.Runtime.ModelInfo>("Info").SourceFile);
        if (perSample is null)
        {
            // Symbolic H and W: a flat length cannot give the shape, so only the shape-taking overloads exist.
            Assert.DoesNotContain("Predict(float[] input)", model.GeneratedSource);
            Assert.DoesNotContain("ElementsPerSample", model.GeneratedSource);
        }
        else
        {
            Assert.Equal(perSample, model.Call<int[]>("PerSample"));
        }
    }
}
