using ModelBuild.Compression.Algorithms.Quantization;

namespace ModelBuild.Compression.Tests.Methods.Reconstruction;

/// <summary>The Hessian factor AdaRound steps through, checked against H itself (float64).</summary>
public sealed class HessianSketchTests
{
    [Theory]
    [InlineData(9, 40)]     // a 3×3 single-channel Conv: exact Cholesky factor
    [InlineData(256, 300)]  // the largest exact factor
    [InlineData(400, 200)]  // a Gemm calibrated on fewer samples than inputs: rank 200 < 256, captured exactly
    public void Factor_reproduces_low_rank_and_small_hessians(int cols, int samples)
    {
        var h = Gram(cols, samples, seed: cols);

        var sketch = HessianSketch.Of(h, cols);

        var scale = Enumerable.Range(0, cols).Max(i => h[(i * cols) + i]);
        var worst = 0.0;
        for (var i = 0; i < cols; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                double sum = i == j ? sketch.Sigma : 0;
                for (var k = 0; k < sketch.Rank; k++)
                {
                    sum += (double)sketch.Factor[(k * cols) + i] * sketch.Factor[(k * cols) + j];
                }

                worst = Math.Max(worst, Math.Abs(sum - h[(i * cols) + j]));
            }
        }

        // float32 factor entries: relative error of order 1e-7 per product, summed over ≤ 256 terms.
        Assert.True(worst <= 1e-4 * scale, $"max |BᵀB + σI − H| = {worst:e3} (diagonal max {scale:e3})");
    }

    [Fact]
    public void Truncated_factor_keeps_the_trace_through_sigma()
    {
        const int cols = 320;
        var h = Gram(cols, 600, seed: 3); // full rank: 64 directions are cut
        var sketch = HessianSketch.Of(h, cols);

        double kept = 0;
        foreach (var f in sketch.Factor)
        {
            kept += (double)f * f;
        }

        var trace = Enumerable.Range(0, cols).Sum(i => h[(i * cols) + i]);
        Assert.Equal(256, sketch.Rank);
        Assert.True(sketch.Sigma > 0);
        Assert.Equal(trace, kept + (sketch.Sigma * (cols - 256)), trace * 1e-5);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(4, 3, 16)]
    [InlineData(5, 17, 33)]
    [InlineData(7, 31, 15)]
    [InlineData(9, 64, 100)]
    public void Block_product_matches_the_in_order_scalar_sum_bit_for_bit(int rows, int inner, int width)
    {
        var random = new Random(rows * 1000 + width);
        var a = Enumerable.Range(0, rows * inner).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var x = Enumerable.Range(0, inner * width).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var c = Enumerable.Range(0, rows * width).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = (float[])c.Clone();
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < width; j++)
            {
                for (var t = 0; t < inner; t++)
                {
                    var product = a[(r * inner) + t] * x[(t * width) + j];
                    expected[(r * width) + j] += product;
                }
            }
        }

        RowBlockProduct.MultiplyAdd(a, rows, inner, x, width, c);

        Assert.Equal(expected, c); // same sums in the same order, whatever Vector<float>.Count is
    }

    private static double[] Gram(int cols, int samples, int seed)
    {
        var random = new Random(seed);
        var x = Enumerable.Range(0, samples * cols).Select(_ => random.NextDouble() - 0.5).ToArray();
        var h = new double[cols * cols];
        for (var s = 0; s < samples; s++)
        {
            for (var i = 0; i < cols; i++)
            {
                var xi = x[(s * cols) + i];
                for (var j = 0; j < cols; j++)
                {
                    h[(i * cols) + j] += xi * x[(s * cols) + j] / samples;
                }
            }
        }

        return h;
    }
}
