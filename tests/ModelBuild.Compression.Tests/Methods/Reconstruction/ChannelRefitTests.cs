using ModelBuild.Compression.Algorithms.Reconstruction;
using ModelBuild.Compression.Passes.Quantization;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Tests.Methods.Reconstruction;

/// <summary>The block refit's least squares (against float64 simple regression) and the row rescaling of stored forms.</summary>
public sealed class ChannelRefitTests
{
    [Fact]
    public void Refit_matches_ordinary_least_squares_per_channel()
    {
        // [N=50, C=3, 4 positions]: channel c of element i is i / 4 % 3.
        const int channels = 3, inner = 4, samples = 50;
        var random = new Random(7);
        var bias = new[] { 0.5, -1.0, 0.0 };
        var current = Enumerable.Range(0, samples * channels * inner).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var truth = new[] { (1.3, 0.2), (0.7, -0.4), (1.0, 0.9) };
        var targets = current.Select((y, i) =>
        {
            var c = i / inner % channels;
            return (float)((truth[c].Item1 * (y - bias[c])) + truth[c].Item2 + (0.01 * (random.NextDouble() - 0.5)));
        }).ToArray();

        var fit = ChannelRefit.Fit(current, targets, bias, inner, fitScale: true, fitBias: true);

        for (var c = 0; c < channels; c++)
        {
            // Simple regression t = α·z + β in float64: α = cov(z, t) / var(z), β = t̄ − α·z̄.
            var z = current.Where((_, i) => i / inner % channels == c).Select(v => v - bias[c]).ToArray();
            var t = targets.Where((_, i) => i / inner % channels == c).Select(v => (double)v).ToArray();
            var (zm, tm) = (z.Average(), t.Average());
            var alpha = z.Zip(t, (a, b) => (a - zm) * (b - tm)).Sum() / z.Sum(a => (a - zm) * (a - zm));
            var beta = tm - (alpha * zm);
            Assert.Equal(alpha, fit.Factors[c], 1e-3); // the ridge ρ = 1e-4 pulls α towards 1 by about ρ·|α − 1|
            Assert.Equal(beta, fit.Biases[c], 1e-3);
            Assert.Equal(truth[c].Item1, fit.Factors[c], 0.01);
        }

        Assert.True(fit.ErrorAfter < fit.ErrorBefore / 100, $"{fit.ErrorBefore:e3} → {fit.ErrorAfter:e3}");
    }

    [Fact]
    public void Without_a_bias_only_the_scale_moves_and_constant_channels_keep_their_scale()
    {
        var current = new float[] { 1, 5, 2, 5, 3, 5 }; // [3 samples, 2 channels]; channel 1 is constant
        var targets = new float[] { 2, 6, 4, 6, 6, 6 };

        var fit = ChannelRefit.Fit(current, targets, [0, 0], inner: 1, fitScale: true, fitBias: false);

        Assert.Equal(2, fit.Factors[0], 1e-3);
        Assert.Equal((1.0, 0.0, 0.0), (fit.Factors[1], fit.Biases[0], fit.Biases[1]));
    }

    [Fact]
    public void Rescaling_rows_multiplies_each_decoded_row()
    {
        var linear = new LinearQuantized(2, 4, 3, 2, [1, -2, 3, 0, -1, 1, 2, -3], [0.5f, 0.25f, 1f, 2f], null);
        var forms = new StoredMatrix[]
        {
            linear,
            new SparseMatrix(2, 4, [true, false, true, true, true, true, false, true], linear),
            new WithOutliers(2, 4, linear, [2, 5], [BitConverter.HalfToUInt16Bits((Half)7), BitConverter.HalfToUInt16Bits((Half)(-3))]),
            new DenseFloat(2, 4, [1, 2, 3, 4, 5, 6, 7, 8]),
            new Palettized(2, 4, 1, 1, [0.5f, -1f, 2f, 3f], [0, 1, 1, 0, 1, 1, 0, 0]),
        };
        double[] factors = [1.5, -0.5];

        foreach (var form in forms)
        {
            Assert.True(RowRescale.Supports(form), form.Describe());
            var expected = form.Decode().Select((v, i) => (float)(v * factors[i / 4])).ToArray();
            Assert.Equal(expected, RowRescale.Apply(form, factors).Decode());
        }

        Assert.False(RowRescale.Supports(new Palettized(2, 4, 1, 2, [0.5f, -1f], [0, 1, 1, 0, 1, 1, 0, 0])));
    }
}
