namespace ModelBuild.Generator.Tests.Execution;

/// <summary>Two inputs with awkward ONNX names, two outputs: the generated Input/Output classes.</summary>
public sealed class MultiIoTests
{
    [Theory]
    [InlineData(4, false)]
    [InlineData(4, true)]
    [InlineData(1, true)]
    public void Predict_WithAndWithoutShapes_MatchesOrt_AndTheInterpreterBitForBit(int batch, bool giveShapes)
    {
        var model = CompiledModel.Get("TwoInTwoOut");
        var features = Tensor.Random([batch, 3], seed: 1);
        var meta = Tensor.Random([batch, 2], seed: 2);
        var ort = References.Ort(model.Model, features, meta);
        var interpreted = References.Interpreter(model.Model, features, meta);

        var r = model.Call<object[]>("Run", features.Data, giveShapes ? features.Shape : null!, meta.Data, giveShapes ? meta.Shape : null!);

        for (var o = 0; o < 2; o++)
        {
            Expect.CloseToOrt(ort[o], (float[])r[2 * o], (int[])r[(2 * o) + 1]);
            Expect.BitIdentical(interpreted[o], (float[])r[2 * o], (int[])r[(2 * o) + 1]);
        }
    }

    [Fact]
    public void SpanOverload_MatchesTheArrayOverload_AndAllocatesNothingAtARepeatedShape()
    {
        var model = CompiledModel.Get("TwoInTwoOut");
        var features = Tensor.Random([3, 3], seed: 5);
        var meta = Tensor.Random([3, 2], seed: 6);
        var arrays = model.Call<object[]>("Run", features.Data, features.Shape, meta.Data, meta.Shape);
        var spans = model.Call<object[]>("RunSpans", features.Data, features.Shape, meta.Data, meta.Shape);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal((System.Collections.IEnumerable)arrays[i], (System.Collections.IEnumerable)spans[i]);
        }

        Assert.Equal(0L, model.Call<long>("AllocatedBySpanCalls", features.Data, features.Shape, meta.Data, meta.Shape));
    }

    [Fact]
    public void Predict_WithAShapeThatDoesNotFit_NamesTheInputAndItsDeclaredShape()
    {
        var model = CompiledModel.Get("TwoInTwoOut");

        var e = Assert.Throws<ArgumentException>(() => model.Call<object[]>("Run", new float[8], new[] { 2, 4 }, new float[4], null!));

        Assert.Contains("'image.features' expects the shape [?, 3]", e.Message);
    }

    [Fact]
    public void Predict_WithALengthThatIsNotWholeSamples_Throws()
    {
        var model = CompiledModel.Get("TwoInTwoOut");

        var e = Assert.Throws<ArgumentException>(() => model.Call<object[]>("Run", new float[7], null!, new float[4], null!));

        Assert.Contains("'image.features'", e.Message);
    }
}
