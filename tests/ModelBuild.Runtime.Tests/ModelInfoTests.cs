namespace ModelBuild.Runtime.Tests;

public sealed class ModelInfoTests
{
    [Fact]
    public void ToString_IsOneReadableLine()
    {
        var info = new ModelInfo("mnist_cnn_fc128.onnx", 1_688_196, 423_612, ["quantize(int8,per-channel,symmetric)"]);

        Assert.Equal("mnist_cnn_fc128.onnx: 1,648.6 KiB -> 413.7 KiB embedded (4.0x smaller); passes: quantize(int8,per-channel,symmetric)", info.ToString());
        Assert.EndsWith("passes: none (float32)", (info with { Passes = [] }).ToString());
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
