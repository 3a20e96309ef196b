namespace ModelBuild.Compression.Tests.Support;

public sealed class HarnessSmokeTests
{
    [Fact]
    public void Int8_per_channel_through_the_harness_keeps_the_mlp_accuracy()
    {
        var original = MethodHarness.OriginalAccuracy(MnistCase.Mlp);
        var context = MethodHarness.Apply(MnistCase.Mlp, """{"passes":[{"quantize":{}}]}""");
        var compressed = MethodHarness.Accuracy(MethodHarness.Decoded(context), MnistCase.Mlp);

        Assert.Equal(0.9764, original, 4);
        Assert.InRange(compressed, original - 0.003, original + 0.003);
        Assert.Equal(3, context.Stored.Count);
    }

    [Fact]
    public void Conv_hessian_is_symmetric_with_a_positive_diagonal()
    {
        var context = MethodHarness.Context(MnistCase.Cnn, calibrationCount: 16);
        var conv2 = context.Layers().Single(l => l.Name == "conv2.weight");
        var h = context.InputHessian(conv2, "test");

        Assert.Equal(conv2.Cols * conv2.Cols, h.Length);
        for (var i = 0; i < conv2.Cols; i++)
        {
            Assert.True(h[(i * conv2.Cols) + i] > 0);
            Assert.Equal(h[(i * conv2.Cols) + 5 % conv2.Cols], h[(5 % conv2.Cols * conv2.Cols) + i], 9);
        }
    }
}
