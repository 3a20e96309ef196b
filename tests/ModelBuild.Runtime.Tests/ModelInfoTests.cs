namespace ModelBuild.Runtime.Tests;

public sealed class ModelInfoTests
{
    [Fact]
    public void ToString_IsOneReadableLine()
    {
        var info = new ModelInfo("mnist_cnn_fc128.onnx", 1_688_196, 423_612, ["quantize(int8,per-channel,symmetric)"]);

        Assert.Equal("mnist_cnn_fc128.onnx: 1.61 MiB -> 413.7 KiB embedded (4.0x smaller); passes: quantize(int8,per-channel,symmetric)", info.ToString());
        Assert.EndsWith("passes: none (float32)", (info with { Passes = [] }).ToString());
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(423_612L, "413.7 KiB")]
    [InlineData(1_048_575L, "1024.0 KiB")]
    [InlineData(1_048_576L, "1.00 MiB")]
    [InlineData(1_688_196L, "1.61 MiB")]
    [InlineData(2_900_000_000L, "2.70 GiB")]
    public void FormatBytes_UsesBinaryUnitsInvariantly(long bytes, string expected)
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.GetCultureInfo("de-DE");
        try
        {
            Assert.Equal(expected, ModelInfo.FormatBytes(bytes));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void InternalPlumbing_IsHiddenFromIntelliSense()
    {
        foreach (var type in new[] { typeof(Kernels), typeof(WeightBlob), typeof(BufferArena), typeof(WeightMatrix), typeof(Conv2DShape), typeof(WeightFormat) })
        {
            var attribute = Assert.Single(type.GetCustomAttributes(typeof(System.ComponentModel.EditorBrowsableAttribute), false));
            Assert.Equal(System.ComponentModel.EditorBrowsableState.Never, ((System.ComponentModel.EditorBrowsableAttribute)attribute).State);
        }

        Assert.Empty(typeof(ModelInfo).GetCustomAttributes(typeof(System.ComponentModel.EditorBrowsableAttribute), false));
    }
}
