using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelBuild.IntegrationTests;

/// <summary>
/// The bug-report models of ../shared/bugcases (README there), built from the package in ONE consumer project and run
/// by a user's program, against ONNX Runtime on the original file; then the model that must fail is added and the
/// same project's build must stop with the coded error.
/// </summary>
public sealed partial class PackageTests
{
    private static string BugCase(string name) => Path.Combine(TestPaths.Shared, "bugcases", name + ".onnx");

    [Fact]
    public void BugCaseModels_BehaveAsTheirReadmeSays_ThroughThePackage()
    {
        using var project = ConsumerProject.FromPackage(package.Feed, package.Version,
            new ConsumerModel(BugCase("c18_tied_weight"), "TiedExact", "exact.json"),
            new ConsumerModel(BugCase("c18_tied_weight"), "TiedDefault"),
            new ConsumerModel(BugCase("c18_tied_weight"), "TiedLowRank", "lowrank.json"),
            new ConsumerModel(BugCase("c18_tied_weight"), "TiedPruned", "pruned.json"),
            new ConsumerModel(BugCase("c33_gemm_bias_per_row"), "BiasPerRowExact", "exact.json"),
            new ConsumerModel(BugCase("c33_gemm_bias_per_row"), "BiasPerRowDefault"),
            new ConsumerModel(BugCase("c05_matmul_1d"), "MatMul1D", "exact.json"),
            new ConsumerModel(BugCase("c27_gemm_nan_inf_weight"), "NonFiniteKept", "keep.json"),
            new ConsumerModel(BugCase("c28_gemm_fp16_model"), "Fp16Default"));
        project.Write("exact.json", """{ "passes": [] }""");
        project.Write("lowrank.json", """{ "passes": [ { "lowrank": { "rank": 2 } } ] }""");
        project.Write("pruned.json", """{ "passes": [ { "prune-structured": { "fraction": 0.5 } } ] }""");
        project.Write("keep.json", """{ "nonFinite": "keep", "passes": [ { "quantize": { "weights": "int8" } } ] }""");
        project.Write("Program.cs", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Consumers", "BugCasesProgram.cs.txt")));
        var inputs = new Dictionary<string, (float[] Data, int[] Shape)>
        {
            ["c18"] = (Uniform(18, 3 * 6), [3, 6]),
            ["c33"] = (Uniform(33, 4 * 6), [4, 6]),
            ["c05"] = (Uniform(5, 8), [8]),
            ["c27"] = (Uniform(27, 2 * 8), [2, 8]),
            ["c28"] = ([.. Uniform(28, 2 * 8).Select(v => (float)(Half)v)], [2, 8]), // values a float16 input holds exactly
        };
        foreach (var (name, (data, _)) in inputs)
        {
            File.WriteAllBytes(Path.Combine(project.Directory, name + ".in.f32"), MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
        }

        var build = project.Build();
        Assert.True(build.Succeeded, build.Output);
        var run = DotNet.Run(project.Directory, Path.Combine(project.Directory, "bin", TestPaths.Configuration, "net10.0", "Consumer.dll"), project.Directory);
        Assert.True(run.Succeeded, run.Output);
        float[] Ours(string className) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(project.Directory, className + ".out.f32"))).ToArray();
        int[] OurShape(string className) => [.. File.ReadAllText(Path.Combine(project.Directory, className + ".shape")).Split(',').Select(int.Parse)];

        // c18: one W read by MatMul(x, W) and Gemm(h, W, transB=1). Every pass leaves it exact (its two readers
        // disagree on the output axis), so each build equals ONNX Runtime within float32 reassociation.
        var tied = Reference(BugCase("c18_tied_weight"), inputs["c18"]);
        foreach (var name in new[] { "TiedExact", "TiedDefault", "TiedLowRank", "TiedPruned" })
        {
            AssertClose(tied, Ours(name), 1e-4, name);
        }

        // c33: C[4,1] is one bias per row. Exact: equal; int8: within int8's error, far below a bias added per column.
        var perRow = Reference(BugCase("c33_gemm_bias_per_row"), inputs["c33"]);
        AssertClose(perRow, Ours("BiasPerRowExact"), 1e-4, "BiasPerRowExact");
        AssertClose(perRow, Ours("BiasPerRowDefault"), 0.02, "BiasPerRowDefault");

        // c05: a 1-D x[8] @ W[8,4] runs and gives y[4].
        AssertClose(Reference(BugCase("c05_matmul_1d"), inputs["c05"]), Ours("MatMul1D"), 1e-4, "MatMul1D");
        Assert.Equal([4], OurShape("MatMul1D"));

        // c27 with "nonFinite": "keep": B is stored exactly, so NaN and +Inf propagate exactly as in ONNX Runtime.
        AssertClose(Reference(BugCase("c27_gemm_nan_inf_weight"), inputs["c27"]), Ours("NonFiniteKept"), 1e-4, "NonFiniteKept");
        Assert.Contains("kept exact in float32", File.ReadAllText(project.OutputFile("NonFiniteKept", ".report.md")));

        // c28: float16 model quantised to int8 like float32 (the predictor's float API), the report's bytes the file's own.
        AssertClose(ReferenceHalf(BugCase("c28_gemm_fp16_model"), inputs["c28"]), Ours("Fp16Default"), 0.02, "Fp16Default");
        Assert.Matches(@"\| `B` \|(?: [A-Za-z]+ \|)? 4×8 \| 32 \| int8[^|]*\| 64 \|", File.ReadAllText(project.OutputFile("Fp16Default", ".report.md")));

        // c27 at the default int8 must not build: MB3004 naming the tensor and the count, nothing shipped.
        project.Write("Consumer.csproj", File.ReadAllText(project.ProjectFile).Replace("</ItemGroup>",
            $"""  <OnnxModel Include="{BugCase("c27_gemm_nan_inf_weight")}" ClassName="NonFiniteDefault" Namespace="Consumer.Models" />{"\n"}  </ItemGroup>""", StringComparison.Ordinal));
        var refused = project.Build();
        Assert.False(refused.Succeeded, refused.Output);
        Assert.Contains("error MB3004", refused.Output);
        Assert.Contains("'B'", refused.Output);
        Assert.Contains("2 non-finite values of 32 (1 NaN, 1 +Inf, 0 -Inf)", refused.Output);
        Assert.DoesNotContain("   at ", refused.Output); // a coded error, never a stack trace
    }

    private static float[] Reference(string model, (float[] Data, int[] Shape) input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var tensor = new DenseTensor<float>(input.Data, input.Shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), tensor)]);
        return [.. results.First().AsEnumerable<float>()];
    }

    private static float[] ReferenceHalf(string model, (float[] Data, int[] Shape) input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var tensor = new DenseTensor<Float16>(input.Data.Select(v => new Float16(BitConverter.HalfToUInt16Bits((Half)v))).ToArray(), input.Shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), tensor)]);
        return [.. results.First().AsEnumerable<Float16>().Select(h => (float)h)];
    }

    /// <summary>|ours − ORT| ≤ tolerance × max(1, max |ORT|) per element; NaN and ±Inf must match exactly.</summary>
    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(1, expected.Where(float.IsFinite).Select(MathF.Abs).DefaultIfEmpty(0).Max());
        for (var i = 0; i < expected.Length; i++)
        {
            var ok = float.IsFinite(expected[i])
                ? Math.Abs(expected[i] - actual[i]) <= tolerance * scale
                : expected[i].Equals(actual[i]); // NaN equals NaN here; +Inf only +Inf
            Assert.True(ok, $"{what} element {i}: {actual[i]} vs ONNX Runtime {expected[i]}");
        }
    }
}
