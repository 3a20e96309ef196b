namespace ModelBuild.Runtime.Tests;

public sealed class PoolTests
{
    private static Pool2DShape Shape(int c, int h, int w, int kh, int kw, int sh, int sw, int dh = 1, int dw = 1, int pt = 0, int pl = 0, int pb = 0, int pr = 0)
    {
        int oh = ((h + pt + pb - (((kh - 1) * dh) + 1)) / sh) + 1;
        int ow = ((w + pl + pr - (((kw - 1) * dw) + 1)) / sw) + 1;
        return new Pool2DShape(c, h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr);
    }

    private static readonly Pool2DShape[] Shapes =
    [
        Shape(3, 28, 28, 2, 2, 2, 2),
        Shape(2, 7, 9, 3, 3, 2, 2, pt: 1, pl: 1, pb: 1, pr: 1),
        Shape(4, 11, 6, 3, 2, 1, 2, pt: 1, pl: 0, pb: 2, pr: 1),
        Shape(2, 10, 10, 3, 3, 1, 1, dh: 2, dw: 2, pt: 2, pl: 2, pb: 2, pr: 2),
        Shape(1, 5, 5, 5, 5, 1, 1, pt: 2, pl: 2, pb: 2, pr: 2),
    ];

    public static TheoryData<int, bool, bool> Cases()
    {
        var data = new TheoryData<int, bool, bool>();
        for (int i = 0; i < Shapes.Length; i++)
        {
            data.Add(i, true, false);
            data.Add(i, false, false);
            data.Add(i, false, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pool_MatchesFloat64Reference(int shapeIndex, bool max, bool countIncludePad)
    {
        Pool2DShape s = Shapes[shapeIndex];
        const int batch = 3;

        // All inputs negative, so a padded zero winning the max would show.
        float[] x = TestData.Floats(new Random(shapeIndex), batch * s.C * s.H * s.W, -2, -0.5f);
        var y = new float[batch * s.C * s.OH * s.OW];

        if (max)
        {
            Kernels.MaxPool2D(x, y, s, batch);
        }
        else
        {
            Kernels.AveragePool2D(x, y, s, batch, countIncludePad);
        }

        TestData.AssertClose(Reference.Pool(x, s, batch, max, countIncludePad), y, Tolerances.Elementwise);
    }

    private static readonly Pool2DShape[] MaxShapes =
    [
        Shape(3, 28, 28, 2, 2, 2, 2),
        Shape(2, 14, 14, 2, 2, 2, 2),
        Shape(2, 9, 37, 2, 2, 2, 2),
        Shape(2, 15, 15, 3, 3, 2, 2),
        Shape(2, 12, 11, 2, 3, 1, 2, dh: 2),
        Shape(1, 4, 1100, 3, 3, 2, 2),
        Shape(2, 7, 9, 3, 3, 2, 2, pt: 1, pl: 1, pb: 1, pr: 1),

        // 3-wide windows at stride 2 inside the input (Kernels.MaxPoolTriple on AVX2): 2 rows dilated, 9 outputs (8 + 1
        // shifted back); 7 outputs of a 16-wide row; 4 rows at vertical stride 3, 24 outputs.
        Shape(2, 12, 20, 2, 3, 1, 2, dh: 2),
        Shape(3, 16, 16, 3, 3, 2, 2),
        Shape(1, 14, 49, 4, 3, 3, 2),
    ];

    [Fact]
    public void MaxPool_3x3Stride2_PropagatesNaN_AllLevels()
    {
        Pool2DShape s = Shape(2, 15, 15, 3, 3, 2, 2);
        foreach (int level in TestData.Levels)
        {
            float[] x = TestData.Floats(new Random(6), 2 * 15 * 15);
            x[(2 * 15) + 4] = float.NaN;
            x[225 + (14 * 15) + 14] = float.NaN; // the last plane's last input: the scalar taps of the tensor's last row
            var y = new float[2 * 49];
            Kernels.MaxPool2D((SimdLevel)level, x, y, s, 1);
            for (int i = 0; i < y.Length; i++)
            {
                Assert.Equal(i is 1 or 2 or 8 or 9 or 49 + 48, float.IsNaN(y[i]));
            }
        }
    }

    /// <summary>
    /// The 3×3/2 kernel folds with one maxps and reruns a call whose loaded values summed to NaN with the NaN-exact fold:
    /// a NaN in the last column of a row (read only by the last window, through the second shifted register) still reaches
    /// its outputs; +∞ and −∞ without a NaN (their sum is NaN, so the call is rerun) give the exact maxima.
    /// </summary>
    [Fact]
    public void MaxPool_3x3Stride2_NaNInTheLastColumn_AndInfinities_AllLevels()
    {
        Pool2DShape s = Shape(2, 17, 17, 3, 3, 2, 2);
        foreach (int level in TestData.Levels)
        {
            float[] x = TestData.Floats(new Random(7), 2 * 17 * 17);
            x[(4 * 17) + 16] = float.NaN;
            var y = new float[2 * 64];
            Kernels.MaxPool2D((SimdLevel)level, x, y, s, 1);
            for (int i = 0; i < y.Length; i++)
            {
                Assert.Equal(i is (1 * 8) + 7 or (2 * 8) + 7, float.IsNaN(y[i]));
            }

            x[(4 * 17) + 16] = float.PositiveInfinity;
            x[289 + (6 * 17) + 3] = float.NegativeInfinity;
            x[289 + (9 * 17) + 9] = float.PositiveInfinity;
            Kernels.MaxPool2D((SimdLevel)level, x, y, s, 1);
            TestData.AssertClose(Reference.Pool(x, s, 1, true, false), y, 0);
            Assert.Equal(3, y.Count(float.IsPositiveInfinity)); // (1, 7) and (2, 7) of plane 0, (4, 4) of plane 1
        }
    }

    [Fact]
    public void MaxPool_FastPaths_MatchReference_AllLevels()
    {
        foreach (int level in TestData.Levels)
        {
            for (int i = 0; i < MaxShapes.Length; i++)
            {
                Pool2DShape s = MaxShapes[i];
                const int batch = 2;
                float[] x = TestData.Floats(new Random(i), batch * s.C * s.H * s.W, -2, 2);
                var y = new float[batch * s.C * s.OH * s.OW];
                Kernels.MaxPool2D((SimdLevel)level, x, y, s, batch);
                TestData.AssertClose(Reference.Pool(x, s, batch, true, false), y, 0);
            }
        }
    }

    [Fact]
    public void MaxPool_2x2_PropagatesNaN_AllLevels()
    {
        Pool2DShape s = Shape(1, 4, 32, 2, 2, 2, 2);
        foreach (int level in TestData.Levels)
        {
            float[] x = TestData.Floats(new Random(5), 4 * 32);
            x[33] = float.NaN;
            x[64 + 20] = float.NaN;
            var y = new float[2 * 16];
            Kernels.MaxPool2D((SimdLevel)level, x, y, s, 1);
            for (int i = 0; i < y.Length; i++)
            {
                Assert.Equal(i is 0 or 16 + 10, float.IsNaN(y[i]));
            }
        }
    }

    [Fact]
    public void GlobalAveragePool_MatchesReference_AllLevels()
    {
        foreach (int level in TestData.Levels)
        {
            foreach (int hw in new[] { 1, 3, 7, 8, 17, 49, 64, 1023 })
            {
                const int channels = 5;
                float[] x = TestData.Floats(new Random(hw), channels * hw);
                var y = new float[channels];
                Kernels.GlobalAveragePool((SimdLevel)level, x, y, channels, hw);
                double[] expected = Enumerable.Range(0, channels).Select(c => x.Skip(c * hw).Take(hw).Sum(v => (double)v) / hw).ToArray();
                double[] magnitude = Enumerable.Range(0, channels).Select(c => x.Skip(c * hw).Take(hw).Sum(v => Math.Abs((double)v)) / hw).ToArray();
                TestData.AssertClose(expected, y, Tolerances.Dot, 0, magnitude);
            }
        }
    }

    [Fact]
    public void ChannelAffine_MatchesReference_AllLevels()
    {
        foreach (int level in TestData.Levels)
        {
            const int c = 3, hw = 13, batch = 2;
            var rng = new Random(5);
            float[] x = TestData.Floats(rng, batch * c * hw);
            float[] scale = TestData.Floats(rng, c);
            float[] bias = TestData.Floats(rng, c);
            var y = new float[x.Length];
            Kernels.ChannelAffine((SimdLevel)level, x, y, scale, bias, c, hw, batch);
            double[] expected = x.Select((v, i) => ((double)v * scale[i / hw % c]) + bias[i / hw % c]).ToArray();
            TestData.AssertClose(expected, y, Tolerances.Elementwise, 1e-7);
        }
    }

    [Fact]
    public void MaxPool_TooShortOutput_Throws()
    {
        Pool2DShape s = Shapes[0];
        var ex = Assert.Throws<ArgumentException>(() => Kernels.MaxPool2D(new float[3 * 28 * 28], new float[10], s, 1));
        Assert.Contains((3 * 14 * 14).ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }
}
