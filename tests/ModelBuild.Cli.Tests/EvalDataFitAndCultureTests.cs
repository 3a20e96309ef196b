using System.Globalization;

namespace ModelBuild.Cli.Tests;

/// <summary>
/// <c>eval</c> on data that does not fit the model says so with an MB error (no stack trace), and what the commands
/// print reads the same under any culture.
/// </summary>
public sealed class EvalDataFitAndCultureTests
{
    private static readonly string Images = Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte.gz");
    private static readonly string Labels = Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte.gz");

    [Fact]
    public void Eval_DataOfAnotherSampleSize_IsMB4002NamingBothShapes()
    {
        // MNIST digits (1×28×28) into a CIFAR-10 model (32×32×3).
        var (code, _, error) = InspectCommandTests.Run("eval", TestPaths.Model("squeezenet_cifar10.onnx"), "--data", Images, "--count", "10");

        Assert.Equal(1, code);
        Assert.StartsWith($"{Images}: error MB4002: ", error);
        Assert.Contains("[1,28,28] (784 values)", error);
        Assert.Contains("[32,32,3] (3072 values)", error); // the model is NHWC
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Eval_BadSampleShapeOption_IsMB4004()
    {
        var (code, _, error) = InspectCommandTests.Run("eval", TestPaths.Model("mnist_cnn_fc128.onnx"), "--data", Images, "--sample-shape", "1,x,28");
        Assert.Equal(1, code);
        Assert.Contains("error MB4004", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void CompressAndEval_PrintTheSameUnderGerman()
    {
        var german = CultureInfo.GetCultureInfo("de-DE");
        Assert.Equal("1,5", 1.5.ToString("0.0", german)); // else this machine has no culture data and the test proves nothing

        using var dir = new TempDir();
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = german;
        try
        {
            var compress = InspectCommandTests.Run("compress", TestPaths.Model("mnist_mlp_256.onnx"), "--out", dir.Path, "--class", "Mlp");
            Assert.True(compress.Code == 0, compress.Error);
            Assert.Matches(@"\d\.\d KiB -> \d+\.\d KiB embedded \(4\.0x\)", compress.Output);

            var eval = InspectCommandTests.Run("eval", TestPaths.Model("mnist_cnn_fc128.onnx"), "--data", Images, "--labels", Labels,
                "--preprocess", "scale=1/255 mean=0.5 std=0.5", "--count", "2000");
            Assert.True(eval.Code == 0, eval.Error);
            Assert.Contains("2,000 samples of [1,28,28]", eval.Output);
            Assert.Matches(@"top-1 accuracy: \d+\.\d\d %", eval.Output);
            Assert.Equal(german, CultureInfo.CurrentCulture); // the command restores the caller's culture
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}
