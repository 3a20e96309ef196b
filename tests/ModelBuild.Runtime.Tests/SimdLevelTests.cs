using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Tests;

public sealed class SimdLevelTests
{
    /// <summary>The scalar Relu of every epilogue (maxss where SSE is on, the compare otherwise) keeps NaN and −0 and clamps the rest at 0.</summary>
    [Fact]
    public void Scalar_relu_keeps_nan_and_negative_zero()
    {
        Assert.True(float.IsNaN(Simd.Relu(float.NaN)));
        Assert.True(float.IsNegative(Simd.Relu(-0f)) && Simd.Relu(-0f) == 0);
        Assert.Equal(0f, Simd.Relu(-3.5f));
        Assert.True(float.IsPositive(Simd.Relu(-3.5f)));
        Assert.Equal(0f, Simd.Relu(float.NegativeInfinity));
        Assert.Equal(2.25f, Simd.Relu(2.25f));
        Assert.Equal(float.PositiveInfinity, Simd.Relu(float.PositiveInfinity));
        Assert.Equal(float.Epsilon, Simd.Relu(float.Epsilon));
    }

    /// <summary>
    /// Proves the suite's runs under DOTNET_EnableAVX512=0 / DOTNET_EnableAVX2=0 / DOTNET_EnableHWIntrinsic=0
    /// really take the narrower paths through the public entry points. (.NET 10 ignores DOTNET_EnableAVX512F: a
    /// run under it would silently keep the 512-bit paths.)
    /// </summary>
    [Fact]
    public void Best_FollowsRuntimeConfiguration()
    {
        SimdLevel best = Simd.Best;
        if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0")
        {
            Assert.Equal(SimdLevel.Scalar, best);
        }
        else if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0")
        {
            Assert.NotEqual(SimdLevel.Vector256, best);
        }

        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
        {
            Assert.False(Vector512.IsHardwareAccelerated, "DOTNET_EnableAVX512=0 must turn the 512-bit paths off");
        }

        Assert.Equal(Vector256.IsHardwareAccelerated, best == SimdLevel.Vector256);
        Console.WriteLine($"Simd.Best = {best}");
    }
}
