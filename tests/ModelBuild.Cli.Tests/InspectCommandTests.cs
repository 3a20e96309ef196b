namespace ModelBuild.Cli.Tests;

/// <summary>Runs <c>modelbuild inspect</c> in-process and checks what it prints against the published model facts.</summary>
public sealed class InspectCommandTests
{
    [Fact]
    public void Inspect_MnistMlp_PrintsParameterCountOpsAndShapes()
    {
        var (code, output, error) = Run("inspect", TestPaths.Model("mnist_mlp_256.onnx"));

        Assert.Equal(0, code);
        Assert.Equal("", error);
        // 235,146 parameters: shared/models/README.md (784·256+256 + 256·128+128 + 128·10+10).
        Assert.Contains("Parameters:   235,146 in 6 tensors", output);
        Assert.Contains("Weight bytes: 940,584", output); // 235,146 float32 values × 4 bytes
        Assert.Contains("IR version:  7", output);
        Assert.Contains("Opsets:      ai.onnx 12", output);
        Assert.Matches(@"input\s+float32\s+\[batch,1,28,28\]", output);
        Assert.Matches(@"logits\s+float32\s+\[batch,10\]", output);
        Assert.Matches(@"\n\s+Gemm\s+3\r?\n", output);
        Assert.Matches(@"\n\s+Relu\s+2\r?\n", output);
        Assert.Matches(@"\n\s+Constant\s+2\r?\n", output);
        Assert.Matches(@"net\.0\.weight\s+float32\s+\[256,784\]\s+200,704\s+802,816\s+Initializer", output);
        Assert.Matches(@"int64\s+\[\]\s+-\s+8\s+Constant node", output);
    }

    [Fact]
    public void Inspect_OldIrModel_ListsOnlyTheRealInput()
    {
        var (code, output, _) = Run("inspect", TestPaths.Model("mnist-8.onnx"));
        Assert.Equal(0, code);
        var inputs = output[output.IndexOf("Inputs:", StringComparison.Ordinal)..output.IndexOf("Outputs:", StringComparison.Ordinal)];
        Assert.Matches(@"Input3\s+float32\s+\[1,1,28,28\]", inputs);
        Assert.DoesNotContain("Parameter", inputs);
        Assert.Contains("Producer:    CNTK 2.5.1", output);
    }

    [Fact]
    public void Inspect_MissingFile_ExitsNonZeroWithMB1001()
    {
        var (code, output, error) = Run("inspect", "does/not/exist.onnx");
        Assert.NotEqual(0, code);
        Assert.Equal("", output);
        Assert.StartsWith("does/not/exist.onnx: error MB1001: ", error);
    }

    [Fact]
    public void Inspect_CorruptFile_ExitsNonZeroWithMB1002()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mb-cli-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, [0xFF, 0xFF, 0xFF, 0x01, 0x02]);
        try
        {
            var (code, _, error) = Run("inspect", path);
            Assert.Equal(1, code);
            Assert.Contains("error MB1002:", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Inspect_WithoutModelArgument_IsAUsageError()
    {
        var (code, _, error) = Run("inspect");
        Assert.NotEqual(0, code);
        Assert.NotEqual("", error);
    }

    internal static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
