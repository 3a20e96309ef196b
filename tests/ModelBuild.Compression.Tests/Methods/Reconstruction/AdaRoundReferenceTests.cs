using ModelBuild.Compression.Algorithms.Quantization;

namespace ModelBuild.Compression.Tests.Methods.Reconstruction;

/// <summary>
/// AdaRound against float64 references: the exhaustive best up/down choice on problems small enough to enumerate,
/// round to nearest, and the definition of the output error tr(ΔW·H·ΔWᵀ).
/// </summary>
public sealed class AdaRoundReferenceTests
{
    private const int Cols = 10;

    [Theory]
    [InlineData(3, 1)]
    [InlineData(3, 2)]
    [InlineData(2, 3)]
    [InlineData(4, 4)]
    public void Adaround_closes_most_of_the_gap_between_nearest_rounding_and_the_exhaustive_optimum(int bits, int seed)
    {
        var (w, h) = Problem(rows: 3, seed);
        var options = new GridOptions(bits, false, true, Cols, false);

        var (matrix, decoded, stats) = AdaRound.Quantize(w, 3, Cols, h, options, new AdaRoundOptions(), null, null);

        var (_, nearest) = RoundToNearest.Quantize(w, 3, Cols, options, null, null);
        double rtn = 0, ada = 0, best = 0;
        for (var r = 0; r < 3; r++)
        {
            rtn += RowError(nearest, w, h, r);
            ada += RowError(decoded, w, h, r);
            best += BestRowError(matrix, w, h, r);
        }

        // Every weight is rounded to one of its two neighbours on the grid.
        for (var i = 0; i < w.Length; i++)
        {
            var scale = matrix.GridAt(i / Cols, i % Cols).Scale;
            Assert.True(Math.Abs(decoded[i] - w[i]) <= scale * (1 + 1e-6), $"weight {i}: {w[i]} → {decoded[i]} (scale {scale})");
        }

        Assert.Equal(ada, stats.Loss, ada * 1e-4); // the loss AdaRound reports is the float64 output error (float32 sketch sums)
        Assert.True(ada <= rtn, $"AdaRound {ada:e3} vs round to nearest {rtn:e3}");
        Assert.True(ada - best <= 0.5 * (rtn - best) + 1e-12, $"AdaRound {ada:e4}, round to nearest {rtn:e4}, optimum {best:e4}");
    }

    [Fact]
    public void Pruned_zeros_and_outliers_are_kept()
    {
        var (w, h) = Problem(rows: 2, seed: 5);
        var zeros = new bool[w.Length];
        var outliers = new bool[w.Length];
        (zeros[3], zeros[14], outliers[7]) = (true, true, true);

        var (_, decoded, _) = AdaRound.Quantize(w, 2, Cols, h, new GridOptions(3, false, true, Cols, false), new AdaRoundOptions(200), outliers, zeros);

        Assert.Equal((0f, 0f, (float)(Half)w[7]), (decoded[3], decoded[14], decoded[7]));
    }

    [Fact]
    public void Same_inputs_give_the_same_codes()
    {
        var (w, h) = Problem(rows: 3, seed: 9);
        var options = new GridOptions(2, false, false, 4, false);

        var first = AdaRound.Quantize(w, 3, Cols, h, options, new AdaRoundOptions(300), null, null).Decoded;
        var second = AdaRound.Quantize(w, 3, Cols, h, options, new AdaRoundOptions(300), null, null).Decoded;

        Assert.Equal(first, second);
    }

    // Weights and a Hessian of correlated inputs (x = mixing · z), where choosing roundings jointly pays off.
    private static (double[] W, double[] H) Problem(int rows, int seed)
    {
        var random = new Random(seed);
        var mixing = Enumerable.Range(0, Cols * Cols).Select(_ => random.NextDouble() - 0.5).ToArray();
        const int samples = 64;
        var x = new double[samples * Cols];
        for (var s = 0; s < samples; s++)
        {
            var z = Enumerable.Range(0, Cols).Select(_ => random.NextDouble() - 0.5).ToArray();
            for (var c = 0; c < Cols; c++)
            {
                x[(s * Cols) + c] = Enumerable.Range(0, Cols).Sum(k => mixing[(c * Cols) + k] * z[k]);
            }
        }

        var h = new double[Cols * Cols];
        for (var i = 0; i < Cols; i++)
        {
            for (var j = 0; j < Cols; j++)
            {
                h[(i * Cols) + j] = Enumerable.Range(0, samples).Sum(s => x[(s * Cols) + i] * x[(s * Cols) + j]) / samples;
            }
        }

        return (Enumerable.Range(0, rows * Cols).Select(_ => random.NextDouble() - 0.5).ToArray(), h);
    }

    private static double RowError(float[] decoded, double[] w, double[] h, int row) =>
        Quadratic(Enumerable.Range(0, Cols).Select(c => decoded[(row * Cols) + c] - w[(row * Cols) + c]).ToArray(), h);

    // All 2^cols up/down choices around w/s on the row's grid (codes clamped to the range), in float64.
    private static double BestRowError(QuantizedMatrix matrix, double[] w, double[] h, int row)
    {
        var grid = matrix.GridAt(row, 0);
        var best = double.MaxValue;
        var delta = new double[Cols];
        for (var mask = 0; mask < 1 << Cols; mask++)
        {
            for (var c = 0; c < Cols; c++)
            {
                var floor = (int)Math.Floor((w[(row * Cols) + c] / grid.Scale) + grid.ZeroPoint);
                var code = Math.Clamp(floor + ((mask >> c) & 1), grid.QMin, grid.QMax);
                delta[c] = grid.Value(code) - w[(row * Cols) + c];
            }

            best = Math.Min(best, Quadratic(delta, h));
        }

        return best;
    }

    private static double Quadratic(double[] d, double[] h)
    {
        double sum = 0;
        for (var i = 0; i < d.Length; i++)
        {
            for (var j = 0; j < d.Length; j++)
            {
                sum += d[i] * h[(i * d.Length) + j] * d[j];
            }
        }

        return sum;
    }
}
