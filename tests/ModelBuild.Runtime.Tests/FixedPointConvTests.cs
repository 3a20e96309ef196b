using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Int8 pointwise convs on 16-bit fixed-point inputs (<see cref="FixedPointConv"/>): through the public conv entry, the
/// bits of the scalar definition in both instruction forms, the error against float64 within the bound the rounding of
/// x allows (per pixel and 256-channel block), the fused residual giving the unfused ops' bits, NaN and infinities
/// left to the float tiles, and the shapes it leaves to them.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class FixedPointConvTests
{
    private static Conv2DShape Pointwise(int c, int h, int w, int oc) => new(c, h, w, oc, h, w, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);

    public static TheoryData<int, int, int, int> Sizes() => new()
    {
        // C, OC, H, W: one 16-pixel column exactly; an odd C, a partial last column (21 pixels) and OC past whole
        // 6-channel tiles; one 256-channel block exactly; one past it (odd); three blocks with an odd tail; BlazeFace-like.
        { 40, 32, 4, 4 },
        { 41, 37, 3, 7 },
        { 256, 40, 5, 5 },
        { 257, 33, 4, 5 },
        { 601, 64, 2, 9 },
        { 88, 96, 8, 8 },
    };

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void Pointwise_SameBitsAsTheDefinition_AndWithinTheRoundingBound(int c, int oc, int h, int w)
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "the fixed-point conv needs AVX2 + FMA");
        Conv2DShape s = Pointwise(c, h, w, oc);
        int p = h * w;
        var rng = new Random((c * 100) + oc + p);
        (WeightMatrix weights, double[] wd) = TestData.Matrix(rng, WeightFormat.Int8, oc, c);
        Assert.Equal(!Wide512.Enabled, FixedPointConv.Applies(SimdLevel.Vector256, s, weights));
        float[] x = TestData.Floats(rng, c * p);
        x[(c / 2 * p) + 3] = 50f; // an outlier: pixel 3's step in its block is 2^6 × the other pixels'
        x[p + 5] = 1e-3f * x[p + 5]; // and a pixel whose block is small elsewhere stays fine
        for (int ch = 0; ch < c; ch++)
        {
            x[(ch * p) + 2] *= 0.5f; // pixel 2: all below 0.5 but one, 0.99999994 · 2^15 → 32768, saturated to 32767
        }

        x[(1 * p) + 2] = 0.99999994f;
        float[] bias = TestData.Floats(rng, oc);
        VnniForms.Each(form =>
        {
            foreach (Activation act in new[] { Activation.None, Activation.Relu })
            {
                foreach (float[] b in new[] { bias, [] })
                {
                    // Called directly, so that machines with AVX-512 (where convs take the 512-bit float tiles) run it too.
                    var y = new float[oc * p];
                    Assert.True(FixedPointConv.Run(x, weights, y, s, 0, oc, new Epilogue(b, act)));
                    var expected = new float[oc * p];
                    FixedPointConv.Reference(x, weights, b, expected, c, p, act);
                    for (int i = 0; i < y.Length; i++)
                    {
                        Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]), $"{form} [{i}] {act}, bias {b.Length}: expected {expected[i]:R}, got {y[i]:R}");
                    }

                    double[] exact = Reference.Conv(x, wd, b.Length == 0 ? null : b, s, 1, act == Activation.Relu, out double[] magnitude);
                    for (int px = 0; px < p; px++)
                    {
                        double[] blockMax = [.. Enumerable.Range(0, c).Select(ch => Math.Abs((double)x[(ch * p) + px])).Chunk(FixedPointInputs.BlockSize).Select(m => m.Max())];
                        for (int j = 0; j < oc; j++)
                        {
                            double bound = Tolerances.Dot * magnitude[(j * p) + px];
                            for (int ch = 0; ch < c; ch++)
                            {
                                bound += Math.Abs(wd[(j * c) + ch]) * blockMax[ch / FixedPointInputs.BlockSize] * Math.Pow(2, -15);
                            }

                            double diff = Math.Abs(y[(j * p) + px] - exact[(j * p) + px]);
                            Assert.True(diff <= bound, $"{form} [{j}, {px}] {act}: {y[(j * p) + px]:R} vs {exact[(j * p) + px]:R}, |diff| {diff:E2} > {bound:E2}");
                        }
                    }
                }
            }
        });
    }

    [SkippableTheory]
    [InlineData(56, 64, 48, true)]
    [InlineData(56, 48, 20, false)]
    [InlineData(300, 40, 33, true)] // two 256-channel blocks: the outputs accumulate through y before the residual
    public unsafe void FusedResidual_GivesTheUnfusedOpsBits(int c, int oc, int residualChannels, bool relu)
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "the fixed-point conv needs AVX2 + FMA");
        Conv2DShape s = Pointwise(c, 5, 9, oc);
        int p = s.OH * s.OW;
        var rng = new Random(c + oc + residualChannels);
        (WeightMatrix weights, _) = TestData.Matrix(rng, WeightFormat.Int8, oc, s.C);
        float[] x = TestData.Floats(rng, s.C * p), bias = TestData.Floats(rng, oc), r = TestData.Floats(rng, residualChannels * p);
        var act = relu ? Activation.Relu : Activation.None;
        VnniForms.Each(form =>
        {
            var fused = new float[oc * p];
            fixed (float* py = fused, pr = r)
            {
                Assert.True(FixedPointConv.Run(x, weights, fused, s, 0, oc, new Epilogue(bias, act).WithResidual((nint)(pr - py), residualChannels)));
            }

            var unfused = new float[fused.Length];
            Assert.True(FixedPointConv.Run(x, weights, unfused, s, 0, oc, new Epilogue(bias, Activation.None)));
            for (int i = 0; i < unfused.Length; i++)
            {
                int ch = i / p;
                float sum = unfused[i] + (ch < residualChannels ? r[(ch * p) + (i % p)] : 0f);
                unfused[i] = relu && sum < 0 ? 0 : sum;
            }

            Assert.True(unfused.AsSpan().SequenceEqual(fused), form);

            // And through the conv entry, where it takes this path (AVX-512 off), over a batch of two.
            if (FixedPointConv.Applies(SimdLevel.Vector256, s, weights))
            {
                float[] x2 = [.. x, .. x], r2 = [.. r, .. r];
                var y2 = new float[2 * oc * p];
                Kernels.Conv2D(SimdLevel.Vector256, x2, weights, bias, y2, [], s, 2, act, r2, residualChannels);
                Assert.True(y2.AsSpan(0, oc * p).SequenceEqual(fused) && y2.AsSpan(oc * p).SequenceEqual(fused), form);
            }
        });
    }

    [SkippableTheory]
    [InlineData(72, 2)]
    [InlineData(72, 3)]
    [InlineData(300, 2)]
    public void Split_AnyThreadCount_GivesTheSameBits(int c, int threads)
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "the fixed-point conv needs AVX2 + FMA");
        Conv2DShape s = Pointwise(c, 9, 11, 100);
        int p = s.OH * s.OW;
        var rng = new Random(threads);
        (WeightMatrix weights, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C);
        float[] x = TestData.Floats(rng, s.C * p), bias = TestData.Floats(rng, s.OC);
        var one = new float[s.OC * p];
        Assert.True(FixedPointConv.Run(x, weights, one, s, 0, s.OC, new Epilogue(bias, Activation.Relu)));
        bool gate = IntraOp.IgnoreSplitGate;
        IntraOp.IgnoreSplitGate = true;
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var many = new float[one.Length];
                Array.Fill(many, float.NaN);
                Assert.True(FixedPointConv.RunSplit(x, weights, bias, many, s, Activation.Relu, threads));
                Assert.Equal(one, many);

                // A NaN in one part's reach fails the whole call, and the next call starts clean.
                float[] bad = [.. x];
                bad[(c / 2 * p) + 50] = float.NaN;
                Assert.False(FixedPointConv.RunSplit(bad, weights, bias, many, s, Activation.Relu, threads));
            }
        }
        finally
        {
            IntraOp.IgnoreSplitGate = gate;
        }
    }

    [SkippableFact]
    public void NaNInfinitiesAndHugeInputs_TakeTheFloatTiles()
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "the fixed-point conv needs AVX2 + FMA");
        Conv2DShape s = Pointwise(48, 6, 6, 40);
        var rng = new Random(9);
        (WeightMatrix weights, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C);
        float[] bias = TestData.Floats(rng, s.OC);
        // From 2^100 on, like NaN: the unscaled sums could overflow where the float tiles' Σ (q·scale)·x stays finite.
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e31f })
        {
            float[] x = TestData.Floats(rng, s.C * 36);
            x[(7 * 36) + 30] = bad; // pixel 30, in the second (last) column, after the first column's outputs are written
            Assert.False(FixedPointConv.Run(x, weights, new float[s.OC * 36], s, 0, s.OC, new Epilogue(bias, Activation.None)));
            var y = new float[s.OC * 36];
            Kernels.Conv2D(x, weights, bias, y, [], s, 1, Activation.None);
            var floats = new float[y.Length];
            FixedPointConv.Enabled = false;
            try
            {
                Kernels.Conv2D(x, weights, bias, floats, [], s, 1, Activation.None);
            }
            finally
            {
                FixedPointConv.Enabled = true;
            }

            Assert.Equal(floats, y);
            Assert.Contains(y, v => float.IsFinite(bad) ? Math.Abs(v) > 1e26 : !float.IsFinite(v));
        }
    }

    [Fact]
    public void NarrowConvs_OtherFormatsAndOtherShapes_AreLeftToTheFloatTiles()
    {
        var rng = new Random(4);
        (WeightMatrix int8, _) = TestData.Matrix(rng, WeightFormat.Int8, 64, 64);
        (WeightMatrix asym, _) = TestData.Matrix(rng, WeightFormat.Int8Asymmetric, 64, 64);
        (WeightMatrix f32, _) = TestData.Matrix(rng, WeightFormat.Float32, 64, 64);
        (WeightMatrix narrow, _) = TestData.Matrix(rng, WeightFormat.Int8, 64, FixedPointConv.MinInputChannels - 1);
        (WeightMatrix few, _) = TestData.Matrix(rng, WeightFormat.Int8, FixedPointConv.MinOutputChannels - 1, 64);
        bool here = Avx2.IsSupported && Fma.IsSupported && !Wide512.Enabled;
        Assert.Equal(here, FixedPointConv.Applies(SimdLevel.Vector256, Pointwise(64, 8, 8, 64), int8));
        Assert.False(FixedPointConv.Applies(SimdLevel.Vector128, Pointwise(64, 8, 8, 64), int8));
        Assert.False(FixedPointConv.Applies(SimdLevel.Vector256, Pointwise(64, 8, 8, 64), asym));
        Assert.False(FixedPointConv.Applies(SimdLevel.Vector256, Pointwise(64, 8, 8, 64), f32));
        Assert.False(FixedPointConv.Applies(SimdLevel.Vector256, Pointwise(FixedPointConv.MinInputChannels - 1, 8, 8, 64), narrow));
        Assert.False(FixedPointConv.Applies(SimdLevel.Vector256, Pointwise(64, 8, 8, FixedPointConv.MinOutputChannels - 1), few));
        Assert.False(FixedPointConv.Applies(SimdLevel.Vector256, Pointwise(64, 3, 5, 64), int8)); // fewer than 16 pixels
        Assert.False(FixedPointConv.Applies(SimdLevel.Vector256, new Conv2DShape(64, 8, 8, 64, 4, 4, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1), int8)); // stride 2
    }
}
