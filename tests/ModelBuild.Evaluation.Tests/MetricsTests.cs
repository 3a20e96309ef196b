namespace ModelBuild.Evaluation.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void ArgMaxTakesTheFirstMaximumAndSkipsNaN()
    {
        Assert.Equal(2, Metrics.ArgMax([1f, 2f, 5f, 5f, -1f]));
        Assert.Equal(0, Metrics.ArgMax([3f]));
        Assert.Equal(1, Metrics.ArgMax([float.NaN, -7f, -8f]));
        Assert.Equal(2, Metrics.ArgMax([-1f, float.NaN, 0f]));
        Assert.Throws<ArgumentException>(() => Metrics.ArgMax([]));
    }

    [Fact]
    public void Top1AccuracyAndAgreementCountRows()
    {
        float[] a = [0.1f, 0.9f, 0, /**/ 2, 1, 0, /**/ 0, 0, 1, /**/ 5, 6, 7];
        float[] b = [0.8f, 0.9f, 0, /**/ 0, 1, 0, /**/ 0, 0, 1, /**/ 9, 6, 7];
        Assert.Equal(0.75, Metrics.Top1Accuracy(a, 3, [1, 0, 2, 0]));   // rows 0, 1, 2 right
        Assert.Equal(0.5, Metrics.Agreement(a, b, 3));                 // rows 0 and 2 agree
        Assert.Throws<ArgumentException>(() => Metrics.Top1Accuracy(a, 3, [1, 0]));
        Assert.Throws<ArgumentException>(() => Metrics.Agreement(a, b, 5));
    }

    [Fact]
    public void DifferencesAndSqnrMatchTheFormulas()
    {
        float[] reference = [1, -2, 3, 4];
        float[] test = [1.5f, -2, 2, 4];
        Assert.Equal(1.0, Metrics.MaxAbsDiff(reference, test));
        Assert.Equal(0.375, Metrics.MeanAbsDiff(reference, test));
        // Signal 1+4+9+16 = 30, noise 0.25+0+1+0 = 1.25: 10·log10(24) = 13.802112417116 dB.
        Assert.Equal(13.802112417116, Metrics.Sqnr(reference, test), 1e-9);
        Assert.Equal(double.PositiveInfinity, Metrics.Sqnr(reference, reference));
        Assert.Throws<ArgumentException>(() => Metrics.MaxAbsDiff(reference, test[..3]));
    }

    [Fact]
    public void MeanCosineAveragesPerRowSimilarities()
    {
        // Row 1: identical direction (1); row 2: orthogonal (0); row 3: both zero (identical, 1).
        float[] a = [1, 2, 1, 0, 0, 0];
        float[] b = [2, 4, 0, 3, 0, 0];
        Assert.Equal((1.0 + 0.0 + 1.0) / 3, Metrics.MeanCosine(a, b, 2), 12);
    }
}
