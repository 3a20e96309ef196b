using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>GridSample, RoiAlign and MaxUnpool through their ops.</summary>
public sealed class SamplingOpsTests
{
    [Theory]
    [InlineData(GridPadding.Zeros, false)]
    [InlineData(GridPadding.Zeros, true)]
    [InlineData(GridPadding.Border, false)]
    [InlineData(GridPadding.Border, true)]
    public void GridSampleBilinear_MatchesFloat64Reference(GridPadding padding, bool alignCorners)
    {
        // Points inside, on and well outside the image (normalised range [−1.6, 1.6]).
        int[] xs = [2, 3, 5, 7];
        var rng = new Random(1);
        var x = TestData.Floats(rng, 2 * 3 * 5 * 7);
        var grid = TestData.Floats(rng, 2 * 4 * 6 * 2, -1.6f, 1.6f);
        var result = RunGridSample(x, xs, grid, [2, 4, 6, 2], ResizeMode.Linear, padding, alignCorners);

        Assert.Equal([2, 3, 4, 6], result.Shape);
        var expected = new double[2 * 3 * 24];
        for (int n = 0; n < 2; n++)
        {
            for (int c = 0; c < 3; c++)
            {
                for (int p = 0; p < 24; p++)
                {
                    double gx = grid[(((n * 24) + p) * 2)], gy = grid[(((n * 24) + p) * 2) + 1];
                    double px = alignCorners ? (gx + 1) / 2 * 6 : (((gx + 1) * 7) - 1) / 2;
                    double py = alignCorners ? (gy + 1) / 2 * 4 : (((gy + 1) * 5) - 1) / 2;
                    int x0 = (int)Math.Floor(px), y0 = (int)Math.Floor(py);
                    double sum = 0;
                    for (int dy = 0; dy < 2; dy++)
                    {
                        for (int dx = 0; dx < 2; dx++)
                        {
                            int r = y0 + dy, col = x0 + dx;
                            double weight = (dy == 0 ? 1 - (py - y0) : py - y0) * (dx == 0 ? 1 - (px - x0) : px - x0);
                            bool inside = r >= 0 && r < 5 && col >= 0 && col < 7;
                            if (padding == GridPadding.Border)
                            {
                                (r, col, inside) = (Math.Clamp(r, 0, 4), Math.Clamp(col, 0, 6), true);
                            }

                            sum += inside ? weight * x[(((n * 3) + c) * 35) + (r * 7) + col] : 0;
                        }
                    }

                    expected[(((n * 3) + c) * 24) + p] = sum;
                }
            }
        }

        TestData.AssertClose(expected, result.Floats, 0, Tolerances.Interpolation);
    }

    [Theory]
    [InlineData(ResizeMode.Nearest)]
    [InlineData(ResizeMode.Linear)]
    [InlineData(ResizeMode.Cubic)]
    public void GridSample_PixelCentresReproduceTheInput(ResizeMode mode)
    {
        // align_corners: −1 + 2i/(n − 1) is exactly pixel i, where every mode returns the pixel itself.
        var x = TestData.Floats(new Random(2), 4 * 5);
        var grid = new List<float>();
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 5; j++)
            {
                grid.AddRange([-1 + (2 * j / 4f), -1 + (2 * i / 3f)]);
            }
        }

        var result = RunGridSample(x, [1, 1, 4, 5], [.. grid], [1, 4, 5, 2], mode, GridPadding.Zeros, alignCorners: true);
        TestData.AssertClose(x.Select(v => (double)v).ToArray(), result.Floats, 0, Tolerances.Interpolation);
    }

    [Fact]
    public void GridSampleReflection_MirrorsAtTheEdges()
    {
        // align_corners on a 1×4 ramp: x = −1.5 px reflects to 1.5 (between 1 and 2), x = 4.5 px reflects to 1.5 as well.
        float[] x = [0, 10, 20, 30];
        float Normal(float px) => (px / 3 * 2) - 1;
        var result = RunGridSample(x, [1, 1, 1, 4], [Normal(-1.5f), 0, Normal(4.5f), 0, Normal(2), 0], [1, 1, 3, 2],
            ResizeMode.Linear, GridPadding.Reflection, alignCorners: true);
        TestData.AssertClose([15, 15, 20], result.Floats, 0, 1e-4);
    }

    [Fact]
    public void RoiAlignAverage_OfARamp_IsTheMeanSampleColumn()
    {
        // x[h, w] = w is linear, so each bin's bilinear average is the mean of its samples' x coordinates.
        int[] xs = [2, 1, 8, 10];
        var x = new float[2 * 80];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (i % 10) + (i >= 80 ? 100 : 0); // image 1 = image 0 + 100
        }

        float[] rois = [1.2f, 2, 6.8f, 5.5f];
        var values = new[] { ValueDecl.Inline("rois", rois, [1, 4]), ValueDecl.Inline("batch", TensorType.Int64, [1L], [1]) };
        var op = new RoiAlignOp(0, 1, 2, 3, false, true, 2, 3, 2, 1f);
        var result = OpHarness.RunToArrays((x, xs), values, [TensorType.Float32], op)[0];

        Assert.Equal([1, 1, 2, 3], result.Shape);
        double x0 = 1.2 - 0.5, binW = (6.8 - 1.2) / 3;
        var expected = new double[6];
        for (int pw = 0; pw < 3; pw++)
        {
            double mean = (x0 + (pw * binW) + (0.25 * binW) + x0 + (pw * binW) + (0.75 * binW)) / 2;
            expected[pw] = expected[3 + pw] = 100 + mean;
        }

        TestData.AssertClose(expected, result.Floats, 1e-6, 1e-5);
    }

    [Fact]
    public void RoiAlign_RegionsOutsideTheImageGiveZero_AndBadBatchIndexFails()
    {
        var x = Enumerable.Repeat(3f, 16).ToArray();
        var outside = new[] { ValueDecl.Inline("rois", [20f, 20, 30, 30], [1, 4]), ValueDecl.Inline("batch", TensorType.Int64, [0L], [1]) };
        var op = new RoiAlignOp(0, 1, 2, 3, true, false, 2, 2, 0, 1f);
        Assert.Equal([0f, 0, 0, 0], OpHarness.RunToArrays((x, [1, 1, 4, 4]), outside, [TensorType.Float32], op)[0].Floats);

        var inside = new[] { ValueDecl.Inline("rois", [0f, 0, 2, 2], [1, 4]), ValueDecl.Inline("batch", TensorType.Int64, [0L], [1]) };
        Assert.Equal([3f, 3, 3, 3], OpHarness.RunToArrays((x, [1, 1, 4, 4]), inside, [TensorType.Float32], op with { IsMax = false })[0].Floats);

        var bad = new[] { ValueDecl.Inline("rois", [0f, 0, 2, 2], [1, 4]), ValueDecl.Inline("batch", TensorType.Int64, [1L], [1]) };
        Assert.Throws<ArgumentException>(() => OpHarness.RunToArrays((x, [1, 1, 4, 4]), bad, [TensorType.Float32], op));
    }

    [Fact]
    public void MaxUnpool_PlacesEachValueAtItsIndex()
    {
        float[] x = [5, 6, 7, 8];
        long[] indices = [5, 3, 8, 15];
        var values = new[] { ValueDecl.Inline("i", TensorType.Int64, indices, [1, 1, 2, 2]) };
        var result = OpHarness.RunToArrays((x, [1, 1, 2, 2]), values, [TensorType.Float32], new MaxUnpoolOp(0, 1, -1, 2, [2, 2], [2, 2], [0, 0, 0, 0]))[0];

        Assert.Equal([1, 1, 4, 4], result.Shape);
        var expected = new float[16];
        expected[5] = 5;
        expected[3] = 6;
        expected[8] = 7;
        expected[15] = 8;
        Assert.Equal(expected, result.Floats);

        var shaped = new[] { values[0], ValueDecl.Inline("shape", TensorType.Int64, [1L, 1, 5, 5], [4]) };
        var bigger = OpHarness.RunToArrays((x, [1, 1, 2, 2]), shaped, [TensorType.Float32], new MaxUnpoolOp(0, 1, 2, 3, [2, 2], [2, 2], [0, 0, 0, 0]))[0];
        Assert.Equal([1, 1, 5, 5], bigger.Shape);
        Assert.Equal(26, bigger.Floats.Sum());

        var outOfRange = new[] { ValueDecl.Inline("i", TensorType.Int64, [0L, 1, 2, 16], [1, 1, 2, 2]) };
        Assert.Throws<ArgumentException>(() => OpHarness.RunToArrays((x, [1, 1, 2, 2]), outOfRange, [TensorType.Float32], new MaxUnpoolOp(0, 1, -1, 2, [2, 2], [2, 2], [0, 0, 0, 0])));
    }

    private static (int[] Shape, float[] Floats, long[] Longs) RunGridSample(float[] x, int[] xs, float[] grid, int[] gridShape, ResizeMode mode, GridPadding padding, bool alignCorners) =>
        OpHarness.RunToArrays((x, xs), [ValueDecl.Inline("grid", grid, gridShape)], [TensorType.Float32], new GridSampleOp(0, 1, 2, mode, padding, alignCorners))[0];
}
