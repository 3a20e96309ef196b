namespace ModelBuild.Generator.Tests.Execution;

/// <summary>Wrong lengths and shapes throw <see cref="ArgumentException"/> whose message names the expected shape.</summary>
public sealed class ArgumentTests
{
    [Fact]
    public void BatchedArray_WithAPartialSample_NamesTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => CompiledModel.Get("Mlp").Call<float[]>("Array", new float[5]));

        Assert.Contains("input [N, 4]", e.Message);
        Assert.Contains("multiple of 4", e.Message);
    }

    [Fact]
    public void BatchedSpan_WithAShortOutput_NamesBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => CompiledModel.Get("Mlp").Call<float[]>("SpanBatch", new float[8], 5, 2));

        Assert.Contains("input [N, 4]", e.Message);
        Assert.Contains("probabilities [N, 3]", e.Message);
    }

    [Fact]
    public void FixedBatch_RejectsAPartialBatch_NamingTheFixedBatch()
    {
        var model = CompiledModel.Get("Fixed");

        var flat = Assert.Throws<ArgumentException>(() => model.Call<float[]>("Array", new float[3 * 18]));
        var counted = Assert.ThrowsAny<ArgumentException>(() => model.Call<float[]>("SpanBatch", new float[3 * 18], 9, 3));
        var shaped = Assert.Throws<ArgumentException>(() => model.Call<object[]>("Shaped", new float[3 * 18], new[] { 3, 2, 3, 3 }));

        Assert.Contains("whole batches of 2", flat.Message);
        Assert.Contains("multiple of 2", counted.Message);
        Assert.Contains("[2, 2, 3, 3]", shaped.Message);
    }

    [Theory]
    [InlineData(new[] { 1, 3, 8 })] // wrong rank
    [InlineData(new[] { 1, 4, 8, 8 })] // wrong fixed dim
    [InlineData(new[] { 1, 3, -8, 8 })] // negative dim
    public void ShapeTaking_WithAShapeTheModelRejects_NamesTheDeclaredShape(int[] shape)
    {
        var model = CompiledModel.Get("Dynamic");

        var e = Assert.Throws<ArgumentException>(() => model.Call<object[]>("Shaped", new float[192], shape));
        var f = Assert.Throws<ArgumentException>(() => model.Call<int[]>("OutputShapeOf", shape));

        Assert.Contains("'pixels' expects the shape [?, 3, ?, ?]", e.Message);
        Assert.Contains("[?, 3, ?, ?]", f.Message);
    }

    [Fact]
    public void ShapeTaking_WithALengthThatIsNotTheShapesCount_SaysBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => CompiledModel.Get("Dynamic").Call<object[]>("Shaped", new float[190], new[] { 1, 3, 8, 8 }));

        Assert.Contains("[1, 3, 8, 8]", e.Message);
        Assert.Contains("192", e.Message);
    }

    [Fact]
    public void SpanOverload_WithTooSmallOutputs_NamesTheOutputShape()
    {
        var model = CompiledModel.Get("Dynamic");
        var input = new float[192];

        var data = Assert.Throws<ArgumentException>(() => model.Call<object[]>("ShapedSpan", input, new[] { 1, 3, 8, 8 }, 31, 4));
        var rank = Assert.Throws<ArgumentException>(() => model.Call<object[]>("ShapedSpan", input, new[] { 1, 3, 8, 8 }, 32, 3));

        Assert.Contains("[1, 2, 4, 4] (32 elements)", data.Message);
        Assert.Contains("rank 4", rank.Message);
    }
}
