namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The separable pooling path (<c>Kernels.PoolRows</c>) at every SIMD level against the float64 definition: every stride
/// branch (1, 2 by shuffle, ≥ 3 by pick), rows narrower than a register (whole-register stores into later rows), padding,
/// ceil-mode overhang, dilations, odd sizes, and a guard that nothing past the output is written.
/// </summary>
public sealed class PoolRowsTests
{
    /// <summary>An ONNX window: pads as given, output size floor or (ceil_mode) ceil, last window starting inside input or left pad.</summary>
    private static Pool2DShape Shape(int c, int h, int w, int kh, int kw, int sh, int sw, int dh = 1, int dw = 1,
        int pt = 0, int pl = 0, int pb = 0, int pr = 0, bool ceil = false)
    {
        return new Pool2DShape(c, h, w, Out(h, kh, sh, dh, pt, pb, ceil), Out(w, kw, sw, dw, pl, pr, ceil), kh, kw, sh, sw, dh, dw, pt, pl, pb, pr);

        static int Out(int size, int k, int stride, int dilation, int begin, int end, bool ceil)
        {
            int span = size + begin + end - (((k - 1) * dilation) + 1);
            int o = (ceil ? (span + stride - 1) / stride : span / stride) + 1;

            // ONNX (and PyTorch): the last window must start inside the input or the leading pad.
            return ceil && (o - 1) * stride >= size + begin ? o - 1 : o;
        }
    }

    public static readonly Pool2DShape[] Shapes =
    [
        Shape(5, 15, 15, 3, 3, 2, 2), // squeezenet's MaxPool: 7-wide rows, stride 2
        Shape(3, 14, 14, 3, 3, 3, 3), // mnist-8's second MaxPool: 4-wide rows, stride 3 (pick)
        Shape(2, 28, 28, 2, 2, 2, 2, pb: 1, pr: 1),
        Shape(3, 14, 14, 2, 2, 2, 2), // 2×2/2 with 7-wide rows
        Shape(2, 9, 37, 3, 3, 1, 1, pt: 1, pl: 1, pb: 1, pr: 1), // stride 1, "same"
        Shape(2, 13, 19, 3, 5, 1, 1, dh: 2, dw: 3, pt: 2, pl: 4, pb: 1, pr: 3),
        Shape(2, 17, 33, 3, 3, 2, 2, ceil: true), // overhang on the right and bottom
        Shape(3, 16, 16, 3, 3, 2, 2, pt: 1, pl: 1, pb: 1, pr: 1, ceil: true),
        Shape(2, 11, 23, 4, 4, 3, 3, pt: 1, pl: 2, pb: 2, pr: 1, ceil: true),
        Shape(2, 10, 41, 2, 3, 4, 4, dw: 2),
        Shape(3, 5, 5, 5, 5, 1, 1, pt: 2, pl: 2, pb: 2, pr: 2),
        Shape(2, 3, 3, 3, 3, 2, 2, pt: 1, pl: 1, pb: 1, pr: 1), // 2×2 outputs: narrower than any register
        Shape(4, 1, 50, 1, 3, 1, 2, pl: 1, pr: 1), // a 1-D window as a height-1 2-D one
        Shape(1, 6, 7, 6, 7, 1, 1), // one output per plane
        Shape(2, 8, 300, 3, 7, 2, 5, pt: 1, pl: 3, pb: 1, pr: 3),
        Shape(1, 3, 5000, 1, 2, 1, 2), // wider than the stack buffer: the scalar fallback
    ];

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        foreach (int level in TestData.Levels)
        {
            for (int i = 0; i < Shapes.Length; i++)
            {
                data.Add(level, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPool_MatchesFloat64Reference(int level, int shapeIndex)
    {
        Pool2DShape s = Shapes[shapeIndex];
        foreach (int batch in new[] { 1, 3 })
        {
            // All negative, so a padded 0 winning the max would show; -∞ padding must never be an output either.
            float[] x = TestData.Floats(new Random(shapeIndex), batch * s.C * s.H * s.W, -2, -0.5f);
            float[] y = Guarded(batch * s.C * s.OH * s.OW, out int n);
            Kernels.MaxPool2D((SimdLevel)level, x, y, s, batch);
            TestData.AssertClose(Reference.Pool(x, s, batch, true, false), y.AsSpan(0, n), 0);
            AssertGuard(y, n);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AveragePool_MatchesFloat64Reference(int level, int shapeIndex)
    {
        Pool2DShape s = Shapes[shapeIndex];
        foreach (bool includePad in new[] { false, true })
        {
            const int batch = 2;
            float[] x = TestData.Floats(new Random(shapeIndex), batch * s.C * s.H * s.W);
            float[] y = Guarded(batch * s.C * s.OH * s.OW, out int n);
            Kernels.AveragePool2D((SimdLevel)level, x, y, s, batch, includePad);

            // Mixed signs cancel: scale the rounding bound by the mean |x| of the window, not by the result.
            double[] magnitude = Reference.Pool([.. x.Select(MathF.Abs)], s, batch, false, includePad);
            TestData.AssertClose(Reference.Pool(x, s, batch, false, includePad), y.AsSpan(0, n), Tolerances.Elementwise, 0, magnitude);
            AssertGuard(y, n);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void MaxPool_PropagatesNaN_EveryStridePath(int level)
    {
        foreach (Pool2DShape s in new[] { Shapes[0], Shapes[1], Shapes[4], Shapes[6] })
        {
            float[] x = TestData.Floats(new Random(3), s.C * s.H * s.W);
            int at = (s.H / 2 * s.W) + (s.W / 2);
            x[at] = float.NaN;
            var y = new float[s.C * s.OH * s.OW];
            Kernels.MaxPool2D((SimdLevel)level, x, y, s, 1);
            double[] expected = Reference.Pool(x, s, 1, true, false);
            for (int i = 0; i < y.Length; i++)
            {
                Assert.Equal(double.IsNaN(expected[i]), float.IsNaN(y[i]));
            }

            Assert.Contains(y, float.IsNaN);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void MaxPool_NaNAtAnyPosition_ReachesExactlyItsWindows(int level)
    {
        // The fast fold (one maxps) loses a NaN that is not the last tap folded; the kernel must notice and rerun exactly.
        foreach (Pool2DShape s in new[] { Shape(1, 7, 19, 3, 3, 2, 2, pt: 1, pl: 1, pb: 1, pr: 1), Shape(1, 8, 11, 3, 2, 1, 3) })
        {
            for (int at = 0; at < s.H * s.W; at++)
            {
                float[] x = TestData.Floats(new Random(at), s.H * s.W);
                x[at] = float.NaN;
                var y = new float[s.OH * s.OW];
                Kernels.MaxPool2D((SimdLevel)level, x, y, s, 1);
                TestData.AssertClose(Reference.Pool(x, s, 1, true, false), y, 0);
            }
        }
    }

    /// <summary>An output array with 16 sentinel floats after its <paramref name="n"/> outputs.</summary>
    private static float[] Guarded(int n0, out int n)
    {
        n = n0;
        var y = new float[n0 + 16];
        y.AsSpan(n0).Fill(12345f);
        return y;
    }

    private static void AssertGuard(float[] y, int n)
    {
        for (int i = n; i < y.Length; i++)
        {
            Assert.Equal(12345f, y[i]);
        }
    }
}
