using ModelBuild.Compression.Algorithms.Quantization;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Tests.Methods.Quantization;

/// <summary>The integer grids against their published formulas, evaluated plainly in float64.</summary>
public sealed class RoundToNearestTests
{
    private const int Rows = 5;
    private const int Cols = 40;

    [Theory]
    [InlineData(4, true, 16)]
    [InlineData(4, false, 16)]
    [InlineData(3, false, 40)]
    [InlineData(2, false, 7)]
    [InlineData(8, true, 40)]
    public void Codes_follow_the_min_max_formula_per_group(int bits, bool symmetric, int groupSize)
    {
        var random = new Random(bits + groupSize);
        var w = Enumerable.Range(0, Rows * Cols).Select(_ => (random.NextDouble() * 2) - 0.7).ToArray();
        var stored = (LinearQuantized)RoundToNearest.Quantize(w, Rows, Cols, new GridOptions(bits, false, symmetric, groupSize, false), null, null).Matrix.ToStored();

        Assert.Equal((bits, groupSize, (Cols + groupSize - 1) / groupSize), (stored.Bits, stored.GroupSize, stored.GroupsPerRow));
        var decoded = stored.Decode();
        for (var r = 0; r < Rows; r++)
        {
            for (var start = 0; start < Cols; start += groupSize)
            {
                var group = Enumerable.Range(start, Math.Min(groupSize, Cols - start)).Select(c => (r * Cols) + c).ToArray();
                var (lo, hi) = (Math.Min(0, group.Min(i => w[i])), Math.Max(0, group.Max(i => w[i])));
                var qmax = (1 << (bits - 1)) - 1;
                double scale = (float)(symmetric ? Math.Max(-lo, hi) / qmax : (hi - lo) / ((1 << bits) - 1));
                var zp = symmetric ? 0 : Math.Clamp(Math.Round(-(qmax + 1) - (lo / scale)), -(qmax + 1), qmax);
                foreach (var i in group)
                {
                    var code = Math.Clamp(Math.Round(w[i] / scale) + zp, symmetric ? -qmax : -(qmax + 1), qmax);
                    Assert.Equal(code, stored.Codes[i]);
                    Assert.Equal((float)((code - zp) * (float)scale), decoded[i], 6);
                    Assert.True(Math.Abs(decoded[i] - w[i]) <= (scale / 2) + 1e-6, $"{i}");
                }
            }
        }
    }

    [Fact]
    public void Ternary_uses_the_twn_threshold_scale_and_codes_minus_one_zero_one()
    {
        double[] w = [0.9, -0.1, 0.05, -0.8, 0.5, 0.0];
        var stored = (LinearQuantized)RoundToNearest.Quantize(w, 1, 6, new GridOptions(2, true, true, 6, false), null, null).Matrix.ToStored();

        // Δ = 0.7 · mean|w| = 0.7 · 2.35 / 6 ≈ 0.274; α = mean of |w| above Δ = (0.9 + 0.8 + 0.5) / 3.
        Assert.True(stored.IsTernary);
        Assert.Equal((float)(2.2 / 3), stored.Scales[0]);
        Assert.Equal(new sbyte[] { 1, 0, 0, -1, 1, 0 }, stored.Codes);
    }
}
