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

    [Theory]
    [InlineData(8, true, 40)]
    [InlineData(8, false, 40)]
    [InlineData(4, true, 16)]
    [InlineData(3, false, 7)]
    public void Row_by_row_fast_path_gives_the_bits_of_the_general_path(int bits, bool symmetric, int groupSize)
    {
        // An all-false pruning mask sends the float64 overload down the general, element-by-element path; no mask
        // (float32 or float64 weights) takes the row-by-row path the default int8 of a large model uses (issue 12).
        var random = new Random(bits * 31 + groupSize);
        var floats = Enumerable.Range(0, Rows * Cols).Select(_ => (float)((random.NextDouble() * 2) - 0.7)).ToArray();
        floats[3] = 0f;
        floats[4] = -0f;
        var w = floats.Select(v => (double)v).ToArray();
        var options = new GridOptions(bits, false, symmetric, groupSize, false);
        var (general, generalDecoded) = RoundToNearest.Quantize(w, Rows, Cols, options, null, new bool[w.Length]);
        var (fromDoubles, doublesDecoded) = RoundToNearest.Quantize(w, Rows, Cols, options, null, null);
        var (fromFloats, floatsDecoded) = RoundToNearest.Quantize(floats, Rows, Cols, options);

        var expected = (LinearQuantized)general.ToStored();
        foreach (var (matrix, decoded) in new[] { (fromDoubles, doublesDecoded), (fromFloats, floatsDecoded) })
        {
            var actual = (LinearQuantized)matrix.ToStored();
            Assert.Equal(expected.Codes, actual.Codes);
            Assert.Equal(expected.Scales.Select(BitConverter.SingleToInt32Bits), actual.Scales.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expected.ZeroPoints, actual.ZeroPoints);
            Assert.Equal(generalDecoded.Select(BitConverter.SingleToInt32Bits), decoded.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(actual.Decode().Select(BitConverter.SingleToInt32Bits), decoded.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Ternary_scale_is_least_squares_and_codes_are_minus_one_zero_one()
    {
        double[] w = [0.9, -0.1, 0.05, -0.8, 0.5, 0.0];
        var stored = (LinearQuantized)RoundToNearest.Quantize(w, 1, 6, new GridOptions(2, true, true, 6, false), null, null).Matrix.ToStored();

        // Keeping the k largest |w| at ±s costs least at s = mean of those k; k = 3 gives the largest S_k²/k (1.613).
        Assert.True(stored.IsTernary);
        Assert.Equal((float)(2.2 / 3), stored.Scales[0]);
        Assert.Equal(new sbyte[] { 1, 0, 0, -1, 1, 0 }, stored.Codes);
    }

    [Fact]
    public void Ternary_error_is_the_least_any_scale_gives_and_below_the_twn_threshold_rule()
    {
        // Issue 13 D7: a reference scan over scales in float64, and the TWN rule (Δ = 0.7·mean|w|, α = mean |w| > Δ).
        var random = new Random(13);
        const int rows = 8, cols = 64;
        var w = Enumerable.Range(0, rows * cols).Select(_ => Math.Tan((random.NextDouble() - 0.5) * 2.6) * 0.1).ToArray(); // heavy tails
        var decoded = RoundToNearest.Quantize(w, rows, cols, new GridOptions(2, true, true, cols, false), null, null).Decoded;
        double ours = 0, scanned = 0, twn = 0;
        for (var r = 0; r < rows; r++)
        {
            var row = w.AsSpan(r * cols, cols).ToArray();
            ours += Enumerable.Range(0, cols).Sum(c => Math.Pow(decoded[(r * cols) + c] - row[c], 2));
            var max = row.Max(Math.Abs);
            scanned += Enumerable.Range(1, 4000).Min(i => TernaryError(row, max * i / 4000));
            var delta = 0.7 * row.Average(Math.Abs);
            twn += TernaryError(row, row.Where(v => Math.Abs(v) > delta).Average(Math.Abs));
        }

        Assert.True(ours <= scanned * (1 + 1e-6), $"ours {ours:g6} vs best scanned {scanned:g6}");
        Assert.True(ours < twn, $"ours {ours:g6} vs TWN {twn:g6}");
    }

    private static double TernaryError(double[] row, double scale) =>
        row.Sum(v => Math.Pow(v - (scale * Math.Clamp(Math.Round(v / scale), -1, 1)), 2));
}
