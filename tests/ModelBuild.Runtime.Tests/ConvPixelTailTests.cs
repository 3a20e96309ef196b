namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The last 1–3 pixels of a packed conv's 256-bit GEMM (<see cref="ConvGemm.PixelTail"/>: 7×7 outputs are 2 × 24 + 1)
/// must get the bits a 24-wide tile gives the same pixel. A pointwise conv's output pixel depends only on its own input
/// column, so the reference is the same conv over an image of just the last 48 pixels (two whole 24-wide tiles, no
/// tail), for channel counts with 8, fewer and 8 + a partial channel blocks, with bias and ReLU, and with a residual.
/// On AVX-512 hardware <c>SimdLevel.Vector256</c> takes the 512-bit tiles in this test assembly (<see cref="TestSetup"/>), which have no pixel tail, so these tests run in
/// the suite's <c>DOTNET_EnableAVX512=0</c> pass (.ci/run) and are skipped in the default one.
/// </summary>
public sealed class ConvPixelTailTests
{
    [SkippableTheory]
    [InlineData(16, 7, 7, 64, false)]   // 49 = 48 + 1, 16 channel blocks (two passes of 8)
    [InlineData(32, 5, 10, 10, false)]  // 50 = 48 + 2, 3 blocks (the last partial)
    [InlineData(9, 3, 17, 70, false)]   // 51 = 48 + 3, 8 blocks + 10 channels
    [InlineData(24, 7, 7, 36, true)]    // with a residual on the first 20 channels
    [InlineData(16, 7, 7, 64, false, false)] // no bias, no activation
    public void TailPixels_GetTheBitsOfA24WideTile(int c, int h, int w, int oc, bool residual, bool biasAndRelu = true)
    {
        SkipOnZmmTiles();
        var rng = new Random(c + h + w + oc);
        int p = h * w;
        var s = new Conv2DShape(c, h, w, oc, h, w, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);
        var whole = new Conv2DShape(c, 6, 8, oc, 6, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);
        (WeightMatrix weights, _) = TestData.Matrix(rng, WeightFormat.Int8, oc, c);
        float[] x = TestData.Floats(rng, c * p);
        float[] bias = biasAndRelu ? TestData.Floats(rng, oc) : [];
        Activation act = biasAndRelu ? Activation.Relu : Activation.None;
        int rc = residual ? 20 : 0;
        float[] r = TestData.Floats(rng, Math.Max(1, rc * p));

        // The last 48 pixels of every plane, as their own 6 × 8 image (and residual).
        float[] x48 = Last48(x, c, p), r48 = residual ? Last48(r, rc, p) : [];
        var y = new float[oc * p];
        var y48 = new float[oc * 48];
        Kernels.Conv2D(SimdLevel.Vector256, x, weights, bias, y, [], s, 1, act, r, rc);
        Kernels.Conv2D(SimdLevel.Vector256, x48, weights, bias, y48, [], whole, 1, act, r48, rc);

        Assert.Equal(Last48(y, oc, p), y48);
        Assert.Contains(y, v => v > 0);
    }

    /// <summary>
    /// The tail pixel's 8-channel stores (<see cref="Epilogue.TryStoreChannels"/>) keep ReLU's NaN and the bias's bits, and
    /// take group offsets that are not multiples of 8 (groups of 20 channels): the bit patterns are compared, since
    /// <c>Assert.Equal</c> takes −0 for +0.
    /// </summary>
    [SkippableTheory]
    [InlineData(16, 64, 1)]
    [InlineData(16, 60, 3)]
    public void TailPixel_KeepsNaNAndBiasBits_InGroups(int c, int oc, int group)
    {
        SkipOnZmmTiles();
        var rng = new Random(oc + group);
        const int p = 49;
        var s = new Conv2DShape(c, 7, 7, oc, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, group);
        var whole = new Conv2DShape(c, 6, 8, oc, 6, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, group);
        (WeightMatrix weights, _) = TestData.Matrix(rng, WeightFormat.Float32, oc, c / group);
        float[] x = TestData.Floats(rng, c * p);
        x[p - 1] = float.NaN; // channel 0 at the tail pixel: every output of group 0 there is NaN
        float[] bias = TestData.Floats(rng, oc);
        bias[oc - 1] = -0f;
        float[] x48 = Last48(x, c, p);
        var y = new float[oc * p];
        var y48 = new float[oc * 48];

        Kernels.Conv2D(SimdLevel.Vector256, x, weights, bias, y, [], s, 1, Activation.Relu);
        Kernels.Conv2D(SimdLevel.Vector256, x48, weights, bias, y48, [], whole, 1, Activation.Relu);

        Assert.Equal(Last48(y, oc, p).Select(BitConverter.SingleToInt32Bits), y48.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(y48, float.IsNaN);
    }

    /// <summary>Skips where the 256-bit GEMM these tests cover is not what <c>SimdLevel.Vector256</c> runs.</summary>
    internal static void SkipOnZmmTiles() =>
        Skip.If(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, "AVX-512 hardware takes the 512-bit conv tiles; the DOTNET_EnableAVX512=0 pass runs this test");

    private static float[] Last48(float[] planes, int count, int p)
    {
        var last = new float[count * 48];
        for (int i = 0; i < count; i++)
        {
            Array.Copy(planes, (i * p) + p - 48, last, i * 48, 48);
        }

        return last;
    }
}
