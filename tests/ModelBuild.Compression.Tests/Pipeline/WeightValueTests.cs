using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// Weights with NaN/±Inf (bug case c27) and weights stored as float16/bfloat16/float64 (c28 and variants built
/// here) through the whole pipeline, checked against the file's own bytes and against ONNX Runtime.
/// </summary>
public sealed class WeightValueTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mb-weights-" + Guid.NewGuid().ToString("N"));

    public WeightValueTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string BugCase(string name) => Path.Combine(TestPaths.SharedDir, "bugcases", name);

    private CompressionResult Compress(string model, string? manifestJson)
    {
        var manifest = "";
        if (manifestJson is not null)
        {
            manifest = Path.Combine(_dir, "m.compress.json");
            File.WriteAllText(manifest, manifestJson);
        }

        return CompressionPipeline.Run(new CompressionRequest(model, manifest, "TestModel", "Test", Path.Combine(_dir, "out"), "Test.TestModel.weights.mbw"), TestServices.Default);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{ "passes": [ { "quantize": { "weights": "int4", "granularity": "per-group", "groupSize": 4 } } ] }""")]
    [InlineData("""{ "passes": [ { "quantize": { "weights": "fp16" } } ] }""")]
    [InlineData("""{ "passes": [ { "quantize": { "weights": "bf16" } } ] }""")]
    [InlineData("""{ "passes": [ { "palettize": { "bits": 2 } } ] }""")]
    [InlineData("""{ "passes": [ { "prune": { "sparsity": 0.5 } } ] }""")]
    [InlineData("""{ "passes": [ { "prune": { "method": "n:m" } } ] }""")]
    [InlineData("""{ "passes": [ { "lowrank": { "rank": 1 } } ] }""")]
    [InlineData("""{ "passes": [ { "entropy": {} } ] }""")]
    [InlineData("""{ "calibration": { "format": "synthetic", "images": "uniform:-1,1;seed=3", "sampleShape": [8], "count": 16 }, "passes": [ { "quantize": { "weights": "int4", "method": "gptq" } } ] }""")]
    [InlineData("""{ "calibration": { "format": "synthetic", "images": "uniform:-1,1;seed=3", "sampleShape": [8], "count": 16 }, "passes": [ { "prune": { "method": "sparsegpt", "sparsity": 0.5 } } ] }""")]
    public void NonFiniteWeight_FailsEveryPassWithMB3004NamingTheTensorAndCount(string? manifest)
    {
        var e = Assert.Throws<ModelBuildException>(() => Compress(BugCase("c27_gemm_nan_inf_weight.onnx"), manifest));
        Assert.Equal("MB3004", e.Code);
        Assert.Contains("'B'", e.Message);
        Assert.Contains("2 non-finite values of 32 (1 NaN, 1 +Inf, 0 -Inf)", e.Message);
        Assert.Contains("\"nonFinite\": \"keep\"", e.Message);
    }

    [Fact]
    public void NonFiniteWeight_KeptExactWhenTheManifestSaysKeep()
    {
        var model = BugCase("c27_gemm_nan_inf_weight.onnx");
        var result = Compress(model, """{ "nonFinite": "keep", "passes": [ { "quantize": { "weights": "int8" } } ] }""");
        var original = OnnxImporter.Import(model).GetInitializer("B")!;
        var compressed = OnnxImporter.Import(OnnxReader.Read(File.ReadAllBytes(result.CompressedModelPath), null)).GetInitializer("B")!;
        Assert.Equal(DataType.Float, compressed.DataType);
        Assert.Equal(original.RawData, compressed.RawData); // bit for bit, NaN payload included
        Assert.Contains("kept exact in float32", File.ReadAllText(result.ReportPath));
    }

    [Fact]
    public void NonFiniteKept_WithARowOfInfinities_PassesThePlanCheck()
    {
        // Fuzz long run (seed 1111, cases 6848, 17840, ...): an output of +Inf in both ONNX Runtime and the plan was
        // counted as an infinite difference (Inf − Inf is NaN), so the build failed with MB5004 on a faithful plan.
        var values = Enumerable.Range(0, 48).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        values[16 + 5] = float.PositiveInfinity; // row 1 of W[3,16]: its output is ±Inf for every nonzero input
        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, new TensorShape([Dim.Sym("N"), Dim.Of(16)])));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, new TensorShape([Dim.Sym("N"), Dim.Of(3)])));
        graph.SetInitializer(ModelBuild.Graph.Tensor.FromFloats("W", [3, 16], values));
        var gemm = new Node("Gemm", ["x", "W"], ["y"], "gemm");
        gemm.Attributes.Add(NodeAttribute.Of("transB", 1L));
        graph.Nodes.Add(gemm);
        var path = Path.Combine(_dir, "inf.onnx");
        File.WriteAllBytes(path, OnnxExporter.ToBytes(graph));

        var result = Compress(path, """{ "nonFinite": "keep", "passes": [ { "quantize": { "weights": "int8" } } ] }""");

        Assert.Contains("generated code checked against ONNX Runtime", File.ReadAllText(result.ReportPath));
    }

    [Fact]
    public void Fp16Storage_OfWeightsBeyondItsRange_IsMB3004()
    {
        var path = Path.Combine(_dir, "big.onnx");
        File.WriteAllBytes(path, TypedGemm(DataType.Float, scale: 1e5f));
        var e = Assert.Throws<ModelBuildException>(() => Compress(path, """{ "passes": [ { "quantize": { "weights": "fp16" } } ] }"""));
        Assert.Equal("MB3004", e.Code);
        Assert.Contains("'W'", e.Message);
        Assert.Contains("±65504", e.Message);
        Assert.NotNull(Compress(path, """{ "passes": [ { "quantize": { "weights": "bf16" } } ] }""")); // bf16 has float32's range
    }

    [Fact]
    public void NonFiniteKey_RejectsOtherValues()
    {
        var e = Assert.Throws<ModelBuildException>(() => Compress(BugCase("c27_gemm_nan_inf_weight.onnx"), """{ "nonFinite": "zero" }"""));
        Assert.Equal("MB2003", e.Code);
    }

    [Fact]
    public void Float16Model_IsQuantisedToInt8_WithTrueByteCounts_AndRunsInOrt()
    {
        var model = BugCase("c28_gemm_fp16_model.onnx");
        var result = Compress(model, null);
        var markdown = File.ReadAllText(result.ReportPath);

        // B is 4×8 float16 in the file: 64 bytes, not 128; int8 codes are 32 bytes plus scales.
        Assert.Matches(@"\| `B` \|(?: [A-Za-z]+ \|)? 4×8 \| 32 \| int8[^|]*\| 64 \|", markdown);
        Assert.Equal(new FileInfo(model).Length, result.OriginalBytes);

        var x = Enumerable.Range(0, 2 * 8).Select(i => (Half)((i % 7) * 0.25f - 0.7f)).ToArray();
        var expected = RunHalf(File.ReadAllBytes(model), x, [2, 8]);
        var actual = RunHalf(File.ReadAllBytes(result.CompressedModelPath), x, [2, 8]);
        var scale = expected.Max(v => Math.Abs((float)v));
        for (var i = 0; i < expected.Length; i++)
        {
            // int8 per channel changes each weight by at most half a step: about 0.4 % of the row's largest weight.
            Assert.InRange(Math.Abs((float)actual[i] - (float)expected[i]), 0, 0.02 * scale);
        }
    }

    [Theory]
    [InlineData(DataType.Double, 8)]
    [InlineData(DataType.BFloat16, 2)]
    [InlineData(DataType.Float16, 2)]
    public void OtherFloatTypes_AreQuantisedLikeFloat32_WithTrueByteCounts(DataType type, int elementSize)
    {
        var path = Path.Combine(_dir, "typed.onnx");
        File.WriteAllBytes(path, TypedGemm(type));
        var markdown = File.ReadAllText(Compress(path, null).ReportPath);
        Assert.Matches($@"\| `W` \|(?: [A-Za-z]+ \|)? 3×16 \| 48 \| int8[^|]*\| {3 * 16 * elementSize} \|", markdown);

        // The plan check feeds x in the model's own type; ONNX Runtime's CPU build has no bfloat16 Gemm, which the report says.
        Assert.Contains(type == DataType.BFloat16 ? "generated code not checked against ONNX Runtime: it could not run the compressed model on 'x' bfloat16 [2,16]"
            : $"generated code checked against ONNX Runtime on the compressed model, all 1 input(s) fed: 'x' {type.OnnxName()} [2,16]", markdown, StringComparison.Ordinal);
    }

    private static byte[] TypedGemm(DataType type, float scale = 1f)
    {
        // Like c28 in another type: x[N,16] → Gemm(W[3,16], transB=1) → y[N,3], all of that type.
        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("x", type, new TensorShape([Dim.Sym("N"), Dim.Of(16)])));
        graph.Outputs.Add(new ValueInfo("y", type, new TensorShape([Dim.Sym("N"), Dim.Of(3)])));
        var values = Enumerable.Range(0, 48).Select(i => MathF.Sin(i * 0.37f) * scale).ToArray();
        graph.SetInitializer(new ModelBuild.Graph.Tensor("W", type, [3, 16], Convert(values, type)));
        var gemm = new Node("Gemm", ["x", "W"], ["y"], "gemm");
        gemm.Attributes.Add(NodeAttribute.Of("transB", 1L));
        graph.Nodes.Add(gemm);
        return OnnxExporter.ToBytes(graph);
    }

    private static byte[] Convert(float[] values, DataType type) => type switch
    {
        DataType.Float => values.SelectMany(BitConverter.GetBytes).ToArray(),
        DataType.Double => values.SelectMany(v => BitConverter.GetBytes((double)v)).ToArray(),
        DataType.Float16 => values.SelectMany(v => BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)v))).ToArray(),
        _ => values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray(),
    };

    private static Float16[] RunHalf(byte[] model, Half[] input, int[] dims)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var tensor = new DenseTensor<Float16>(input.Select(h => new Float16(BitConverter.HalfToUInt16Bits(h))).ToArray(), dims);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), tensor)]);
        return results.First().AsEnumerable<Float16>().ToArray();
    }
}
