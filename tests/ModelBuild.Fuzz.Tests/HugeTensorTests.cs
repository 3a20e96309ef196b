using ModelBuild.Onnx.Proto;
using static ModelBuild.Fuzz.Tests.SeedModels;

namespace ModelBuild.Fuzz.Tests;

/// <summary>
/// The kind of the fuzzer's slow cases (seed 2222, cases 2124 and 13480: a Pad whose mutated pads gave a 3.2 GB
/// tensor, ~25 s in ONNX Runtime before the plan failed): a shape the generated code cannot hold is MB1003 naming the
/// value before anything runs, whichever operator makes it.
/// </summary>
public sealed class HugeTensorTests : IDisposable
{
    private readonly PipelineRunner _run = new();

    public void Dispose() => _run.Dispose();

    public static TheoryData<string> Producers => ["Pad", "Tile", "Expand", "Pad under a symbolic batch"];

    [Theory]
    [MemberData(nameof(Producers))]
    public void A_tensor_over_the_runtime_limit_is_MB1003_naming_it(string producer)
    {
        var e = _run.Fails(Huge(producer));
        Assert.Equal("MB1003", e.Code);
        Assert.Contains("the value 'big'", e.Message, StringComparison.Ordinal);
        Assert.Contains("more than the generated code holds in one tensor", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_large_tensor_under_the_limit_is_built_and_the_report_says_the_check_skipped_it()
    {
        // 1×3×4×4 padded to 1,500,001×3×4×4 floats: 288 MB, which the runtime holds but the plan check does not run.
        var result = _run.Run(LargePad(), """{ "passes": [] }""");
        var report = File.ReadAllText(result.ReportPath);
        Assert.True(report.Contains("generated code not checked against ONNX Runtime: the value 'big' needs 288,000,192 bytes (symbolic dims set to 2), over the check's 268,435,456 bytes (256 MiB) per tensor",
            StringComparison.Ordinal), report);
    }

    [Fact]
    public void A_large_tensor_under_the_limit_without_a_manifest_skips_the_synthetic_gate_with_MB5002()
    {
        // The default int8 gate would run 64 such samples through ONNX Runtime twice (the seed-3333 hang, case 24048).
        var result = _run.Run(LargePad());
        Assert.Contains(result.Warnings, w => w.Contains("MB5002", StringComparison.Ordinal) && w.Contains("exceeds 256 MiB per sample", StringComparison.Ordinal));
    }

    private static ModelProto LargePad() => Model([Input("x", 1, 3, 4, 4)], [Output("y", 1, 3, 4, 4)], [IntTensor("pads", [8], [1_500_000, 0, 0, 0, 0, 0, 0, 0]),
        IntTensor("starts", [1], [0]), IntTensor("ends", [1], [1]), IntTensor("axes", [1], [0])],
        Node("Pad", ["x", "pads"], ["big"]), Node("Slice", ["big", "starts", "ends", "axes"], ["y"]));

    private static ModelProto Huge(string producer) => producer switch
    {
        // 1×3×4×4 padded by 16,711,680 rows (the fuzzer's pads): 802,160,688 floats, 3.2 GB.
        "Pad" => Model([Input("x", 1, 3, 4, 4)], [Output("y", 1, 3, 4, 4)], [IntTensor("pads", [8], [16_711_680, 0, 0, 0, 0, 0, 0, 0]),
            IntTensor("starts", [1], [0]), IntTensor("ends", [1], [1]), IntTensor("axes", [1], [0])],
            Node("Pad", ["x", "pads"], ["big"]), Node("Slice", ["big", "starts", "ends", "axes"], ["y"])),
        "Tile" => Model([Input("x", 1, 4)], [Output("y", 1, 4)], [IntTensor("repeats", [2], [1 << 20, 1 << 10]),
            IntTensor("starts", [2], [0, 0]), IntTensor("ends", [2], [1, 4]), IntTensor("axes", [2], [0, 1])],
            Node("Tile", ["x", "repeats"], ["big"]), Node("Slice", ["big", "starts", "ends", "axes"], ["y"])),
        "Expand" => Model([Input("x", 1, 4)], [Output("y", 1)], [IntTensor("shape", [3], [1 << 16, 1 << 14, 4])],
            Node("Expand", ["x", "shape"], ["big"]), Node("ReduceMax", ["big"], ["y"], Int("keepdims", 0))),
        // The batch is unknown; even one sample is N×12×16,711,684×4 floats = 3.2 GB.
        _ => Model([Input("x", "N", 12, 4, 4)], [Output("y", "N", 12, 4, 4)], [IntTensor("pads", [8], [0, 0, 16_711_680, 0, 0, 0, 0, 0]),
            IntTensor("starts", [1], [0]), IntTensor("ends", [1], [4]), IntTensor("axes", [1], [2])],
            Node("Pad", ["x", "pads"], ["big"]), Node("Slice", ["big", "starts", "ends", "axes"], ["y"])),
    };
}
