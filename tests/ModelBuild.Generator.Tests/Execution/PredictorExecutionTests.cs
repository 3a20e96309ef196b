namespace ModelBuild.Generator.Tests.Execution;

/// <summary>Generated predictors, compiled and run, against the float64 reference.</summary>
public sealed class PredictorExecutionTests
{
    // float32 kernels against float64 maths on inputs in [-1, 1] and small layers: a few ulps per accumulation.
    private const double Tolerance = 2e-5;

    private static readonly Lazy<CompiledModel> s_mlp = new(() => new CompiledModel(Plans.Mlp, Harnesses.Single("Tests.Models.MlpModel")));
    private static readonly Lazy<CompiledModel> s_conv = new(() => new CompiledModel(Plans.Conv, Harnesses.Single("Tests.Models.ConvModel")));
    private static readonly Lazy<CompiledModel> s_layout = new(() => new CompiledModel(Plans.Layout, Harnesses.Single("global::LayoutModel")));
    private static readonly Lazy<CompiledModel> s_fixed = new(() => new CompiledModel(Plans.Fixed, Harnesses.Single("Tests.Models.FixedModel")));
    private static readonly Lazy<CompiledModel> s_pair = new(() => new CompiledModel(Plans.TwoInTwoOut, Harnesses.Pair));

    public static TheoryData<string, int> SingleModels => new()
    {
        { "mlp", 1 }, { "mlp", 7 }, { "conv", 1 }, { "conv", 3 }, { "layout", 1 }, { "layout", 5 }, { "fixed", 2 }, { "fixed", 6 },
    };

    [Theory]
    [MemberData(nameof(SingleModels))]
    public void AllThreePredictOverloads_MatchTheFloat64Reference(string name, int batch)
    {
        var model = Model(name);
        var input = CompiledModel.RandomInput(batch * model.Spec.Inputs[0].ElementsPerSample, seed: batch);
        var expected = ReferenceModel.Run(model.Spec, model.Weights, [input], batch)[0];

        AssertClose(expected, model.Call<float[]>("ArrayPath", input));
        AssertClose(expected, model.Call<float[]>("SpanPath", input, batch));
        AssertClose(expected, model.Call<float[]>("InferredPath", input));
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("conv")]
    [InlineData("layout")]
    [InlineData("fixed")]
    [InlineData("pair")]
    public void GeneratedCode_CompilesWithNullableOn_AndNoWarnings(string name)
    {
        // CompiledModel asserts zero warnings at the highest warning level; here we also check what was compiled.
        var model = name == "pair" ? s_pair.Value : Model(name);

        Assert.Contains("#nullable enable", model.GeneratedSource);
        Assert.Contains("public sealed partial class " + model.Spec.ClassName, model.GeneratedSource);
    }

    [Fact]
    public void TwoInputsTwoOutputs_MatchTheFloat64Reference()
    {
        var model = s_pair.Value;
        const int batch = 4;
        var features = CompiledModel.RandomInput(batch * 3, seed: 1);
        var meta = CompiledModel.RandomInput(batch * 2, seed: 2);
        var expected = ReferenceModel.Run(model.Spec, model.Weights, [features, meta], batch);

        var actual = model.Call<float[][]>("Run", features, meta);

        AssertClose(expected[0], actual[0]);
        AssertClose(expected[1], actual[1]);
        Assert.Equal([3, 2, -1, 2], model.Call<int[]>("Sizes"));
    }

    [Fact]
    public void ConcurrentCalls_WithGrowingAndShrinkingBatches_MatchTheReference()
    {
        // Each thread has its own arena: threads must not see each other's activations, and an arena that grew
        // for a large batch must still give right answers for a small one.
        var model = s_conv.Value;
        int[] batches = [1, 16, 3];
        var inputs = batches.Select(b => CompiledModel.RandomInput(b * 36, seed: b)).ToArray();
        var expected = batches.Select((b, i) => ReferenceModel.Run(model.Spec, model.Weights, [inputs[i]], b)[0]).ToArray();

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            for (var round = 0; round < 5; round++)
            {
                for (var i = 0; i < batches.Length; i++)
                {
                    AssertClose(expected[i], model.Call<float[]>("SpanPath", inputs[i], batches[i]));
                }
            }
        });
    }

    [Fact]
    public void TwoInputs_WithDifferentBatches_Throw()
    {
        var e = Assert.Throws<ArgumentException>(() => s_pair.Value.Call<float[][]>("Run", new float[6], new float[6]));

        Assert.Contains("meta::data [batch, 2]", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(9)]
    public void WrongInputLength_ThrowsArgumentException_NamingTheShape(int length)
    {
        var e = Assert.Throws<ArgumentException>(() => s_mlp.Value.Call<float[]>("ArrayPath", new float[length]));

        Assert.Contains("[batch_size, 4]", e.Message);
        Assert.Equal("input", e.ParamName);
        Assert.Throws<ArgumentException>(() => s_mlp.Value.Call<float[]>("InferredPath", new float[length]));
    }

    [Fact]
    public void WrongOutputLengthOrBatchSize_ThrowsArgumentException()
    {
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => s_mlp.Value.Call<float[]>("WrongOutput", new float[8], 2)).ParamName);
        Assert.Throws<ArgumentException>(() => s_mlp.Value.Call<float[]>("SpanPath", new float[8], 3));
        Assert.IsAssignableFrom<ArgumentException>(Record.Exception(() => s_mlp.Value.Call<float[]>("SpanPath", Array.Empty<float>(), 0)));
    }

    [Fact]
    public void FixedBatchModel_AcceptsOnlyWholeMultiplesOfItsBatch()
    {
        var e = Assert.Throws<ArgumentException>(() => s_fixed.Value.Call<float[]>("ArrayPath", new float[18 * 3]));

        Assert.Contains("[2, 2, 3, 3]", e.Message);
        Assert.IsAssignableFrom<ArgumentException>(Record.Exception(() => s_fixed.Value.Call<float[]>("SpanPath", new float[18], 1)));
        Assert.False(s_fixed.Value.Call<bool>("Dynamic"));
    }

    [Fact]
    public void ShapesAndModelInfo_ComeFromThePlan()
    {
        Assert.Equal([4, 3, -1, 4, int.MinValue, -1, 3], s_mlp.Value.Call<int[]>("Shapes"));
        Assert.Equal([18, 3, 2, 2, 3, 3, int.MinValue, 2, 3], s_fixed.Value.Call<int[]>("Shapes"));
        var info = s_mlp.Value.Call<ModelBuild.Runtime.ModelInfo>("Info");
        Assert.Equal(("mlp.onnx", 1000L, 400L), (info.SourceFile, info.OriginalBytes, info.EmbeddedBytes));
        Assert.Equal(["quantize(int8,per-channel,symmetric)", "fold"], info.Passes);
        Assert.True(s_mlp.Value.Call<bool>("Dynamic"));
    }

    [Theory]
    [InlineData("mlp", 4)]
    [InlineData("conv", 2)]
    [InlineData("layout", 3)]
    public void SpanPath_AllocatesNothingAfterTheFirstCall(string name, int batch)
    {
        var model = Model(name);
        var input = CompiledModel.RandomInput(batch * model.Spec.Inputs[0].ElementsPerSample, seed: 3);

        Assert.Equal(0L, model.Call<long>("AllocatedBytes", input, batch));
    }

    [Fact]
    public void Weights_AreNotReadUntilTheFirstPrediction()
    {
        // Without the embedded resource, everything but Predict must still work: loading is lazy.
        var model = new CompiledModel(Plans.Mlp.Replace("class MlpModel", "class LazyModel"), Harnesses.Single("Tests.Models.LazyModel"), embedWeights: false);

        Assert.Equal(4, model.Call<int[]>("Shapes")[0]);
        Assert.Equal("mlp.onnx", model.Call<ModelBuild.Runtime.ModelInfo>("Info").SourceFile);
        Assert.NotNull(Record.Exception(() => model.Call<float[]>("ArrayPath", new float[4])));
    }

    private static CompiledModel Model(string name) => name switch
    {
        "mlp" => s_mlp.Value,
        "conv" => s_conv.Value,
        "layout" => s_layout.Value,
        "fixed" => s_fixed.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= Tolerance * Math.Max(1, Math.Abs(expected[i])), $"[{i}] expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
