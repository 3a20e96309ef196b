using ModelBuild.Compression.Quantization;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Tests.Quantization;

public sealed class LinearQuantizerTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(0, false)]
    [InlineData(2, false)]
    public void Per_channel_matches_the_float64_formulas(int axis, bool symmetric)
    {
        var dims = new long[] { 6, 5, 4 };
        var w = RandomWeights(120, seed: 7 + axis);
        var q = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("w", dims, w), axis, QuantGranularity.PerChannel, symmetric);

        Assert.Equal(dims[axis], q.Scales.Length);
        Assert.Equal(symmetric ? 0 : q.Scales.Length, q.ZeroPoints.Length);
        var inner = dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
        for (var c = 0; c < q.Scales.Length; c++)
        {
            var members = Enumerable.Range(0, w.Length).Where(i => i / inner % dims[axis] == c).ToArray();
            var (lo, hi) = (Math.Min(0, members.Min(i => (double)w[i])), Math.Max(0, members.Max(i => (double)w[i])));
            var scale = symmetric ? Math.Max(-lo, hi) / 127 : (hi - lo) / 255;
            Assert.Equal((float)scale, q.Scales[c]);
            double zp = symmetric ? 0 : Math.Clamp(Math.Round(-128 - (lo / (float)scale), MidpointRounding.ToEven), -128, 127);
            if (!symmetric)
            {
                Assert.Equal(zp, q.ZeroPoints[c]);
            }

            foreach (var i in members)
            {
                var expected = Math.Clamp(Math.Round(w[i] / (double)(float)scale, MidpointRounding.ToEven) + zp, symmetric ? -127 : -128, 127);
                Assert.Equal(expected, q.Values[i]);
            }
        }
    }

    [Fact]
    public void Rounds_half_to_even()
    {
        // max |w| = 127 gives scale exactly 1, so w/scale hits the .5 midpoints exactly.
        float[] w = [127f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f];
        var q = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("w", [1, 8], w), 0, QuantGranularity.PerChannel, true);
        Assert.Equal(1f, q.Scales[0]);
        Assert.Equal(new sbyte[] { 127, 0, 2, 2, 0, -2, -2, 4 }, q.Values);
    }

    [Fact]
    public void Per_channel_error_is_never_worse_than_per_tensor()
    {
        // Channels with very different ranges: per-tensor must use the widest range for all of them.
        var w = RandomWeights(8 * 64, seed: 3);
        for (var i = 0; i < w.Length; i++)
        {
            w[i] *= MathF.Pow(4, i / 64 % 8 - 4);
        }

        var tensor = Tensor.FromFloats("w", [8, 64], w);
        var perChannel = LinearQuantizer.QuantizeInt8(tensor, 0, QuantGranularity.PerChannel, true);
        var perTensor = LinearQuantizer.QuantizeInt8(tensor, 0, QuantGranularity.PerTensor, true);
        Assert.Single(perTensor.Scales);
        Assert.True(perChannel.SqnrDb > perTensor.SqnrDb, $"{perChannel.SqnrDb} vs {perTensor.SqnrDb}");
        Assert.True(perChannel.MaxAbsError <= perTensor.MaxAbsError);

        // On the smallest channel (range 4^-4 of the largest) per-tensor steps are 256× too coarse.
        var (pc, pt) = (perChannel.Dequantize(), perTensor.Dequantize());
        var smallPc = Enumerable.Range(0, 64).Max(i => Math.Abs(pc[i] - w[i]));
        var smallPt = Enumerable.Range(0, 64).Max(i => Math.Abs(pt[i] - w[i]));
        Assert.True(smallPc * 20 < smallPt, $"{smallPc} vs {smallPt}");
    }

    [Fact]
    public void Error_statistics_match_a_float64_recomputation_and_the_half_step_bound()
    {
        var w = RandomWeights(1000, seed: 11);
        var q = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("w", [10, 100], w), 0, QuantGranularity.PerChannel, false);
        var d = q.Dequantize();
        double signal = 0, noise = 0, max = 0;
        for (var i = 0; i < w.Length; i++)
        {
            var e = (double)w[i] - d[i];
            (signal, noise, max) = (signal + ((double)w[i] * w[i]), noise + (e * e), Math.Max(max, Math.Abs(e)));
            Assert.True(Math.Abs(e) <= (q.Scales[i / 100] * 0.5) + 1e-7, $"element {i}: error {e} above half a step");
            Assert.Equal((float)((q.Values[i] - q.ZeroPoints[i / 100]) * (double)q.Scales[i / 100]), d[i]);
        }

        Assert.Equal(max, q.MaxAbsError, 12);
        Assert.Equal(10 * Math.Log10(signal / noise), q.SqnrDb, 9);
        Assert.InRange(q.SqnrDb, 35, 60); // int8 on uniform data: about 6 dB per bit
    }

    [Theory]
    [InlineData(0.5f, 2.0f)]
    [InlineData(-3.0f, -1.0f)]
    [InlineData(-1.0f, 4.0f)]
    public void Asymmetric_zero_point_stays_in_range_and_zero_is_exact(float lo, float hi)
    {
        var random = new Random(5);
        var w = Enumerable.Range(0, 200).Select(_ => lo + ((hi - lo) * (float)random.NextDouble())).ToArray();
        w[0] = 0;
        var q = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("w", [200], w), 0, QuantGranularity.PerTensor, false);
        var zp = Assert.Single(q.ZeroPoints);
        Assert.InRange(zp, (sbyte)-128, (sbyte)127);
        Assert.InRange(q.Values.Min(), (sbyte)-128, (sbyte)127);

        // The range always includes 0, and 0 must dequantise to exactly 0 (zero padding stays zero).
        Assert.Equal(0f, q.Dequantize()[0]);
        var min = Math.Min(0, w.Min());
        Assert.Equal(lo >= 0 ? -128 : hi <= 0 ? 127 : Math.Round(-128 - (min / (double)q.Scales[0])), zp, 0);
    }

    [Fact]
    public void All_zero_channel_gets_scale_one_and_zero_values()
    {
        float[] w = [0, 0, 0, 1, -2, 0.5f, 0, 0, 0];
        foreach (var symmetric in new[] { true, false })
        {
            var q = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("w", [3, 3], w), 0, QuantGranularity.PerChannel, symmetric);
            Assert.Equal(1f, q.Scales[0]);
            Assert.Equal(1f, q.Scales[2]);
            Assert.All(new[] { 0, 1, 2, 6, 7, 8 }, i => Assert.Equal(0f, q.Dequantize()[i]));
            Assert.All(new[] { 3, 4, 5 }, i => Assert.True(Math.Abs(q.Dequantize()[i] - w[i]) <= (q.Scales[1] / 2) + 1e-7));
        }

        var zeros = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("z", [2, 2], new float[4]), 0, QuantGranularity.PerTensor, true);
        Assert.Equal([1f], zeros.Scales);
        Assert.Equal(new sbyte[4], zeros.Values);
        Assert.Equal(double.PositiveInfinity, zeros.SqnrDb);
    }

    [Fact]
    public void Symmetric_never_uses_minus_128_and_is_deterministic()
    {
        var w = RandomWeights(4096, seed: 1);
        var t = Tensor.FromFloats("w", [64, 64], w);
        var a = LinearQuantizer.QuantizeInt8(t, 1, QuantGranularity.PerChannel, true);
        var b = LinearQuantizer.QuantizeInt8(t, 1, QuantGranularity.PerChannel, true);
        Assert.DoesNotContain((sbyte)-128, a.Values);
        Assert.Equal(a.Values, b.Values);
        Assert.Equal(a.Scales, b.Scales);
    }

    [Fact]
    public void Matrix_view_transposes_a_k_by_n_weight_quantised_along_axis_1()
    {
        var w = RandomWeights(12, seed: 9);
        var q = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("w", [3, 4], w), 1, QuantGranularity.PerChannel, false);
        var m = q.ToRowMajorMatrix(transpose: true);
        Assert.Equal((4, 3), (m.Rows, m.Cols));
        for (var r = 0; r < 4; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(q.Values[(c * 4) + r], m.Values[(r * 3) + c]);
            }
        }

        Assert.Equal(q.Scales, m.RowScales);
        Assert.Equal(q.ZeroPoints, m.ZeroPoints);
        Assert.Throws<InvalidOperationException>(() => q.ToRowMajorMatrix(transpose: false));

        var perTensor = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("w", [3, 4], w), 1, QuantGranularity.PerTensor, true);
        var pm = perTensor.ToRowMajorMatrix(transpose: false);
        Assert.Equal(Enumerable.Repeat(perTensor.Scales[0], 3), pm.RowScales);
        Assert.Null(pm.ZeroPoints);
        Assert.Equal(perTensor.Values, pm.Values);
    }

    internal static float[] RandomWeights(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.3f).ToArray();
    }
}
