using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>DFT, STFT and MelWeightMatrix against textbook float64 references.</summary>
public sealed class SpectralTests
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData(8, -1, false, false)]
    [InlineData(7, -1, false, true)]
    [InlineData(6, 9, false, false)]   // zero-padded
    [InlineData(6, 4, true, false)]    // truncated, inverse
    public void Dft_RealInput_AlongTheSignalAxis(int length, int dftLength, bool inverse, bool onesided)
    {
        var rng = new Random(length);
        const int batch = 2, channels = 3;
        var x = TestData.Floats(rng, batch * length * channels);
        var h = new OpHarness();
        var xv = h.Floats(x, batch, length, channels, 1);
        var lv = dftLength < 0 ? -1 : h.ConstLongs([dftLength]);
        var yv = h.Output(TensorType.Float32);
        var c = h.Run(new DftOp(xv, lv, yv, 1, inverse, onesided));

        var n = dftLength < 0 ? length : dftLength;
        var bins = onesided ? (n / 2) + 1 : n;
        Assert.Equal([batch, bins, channels, 2], c.Shape(yv).ToArray());
        var expected = new double[batch * bins * channels * 2];
        for (var b = 0; b < batch; b++)
        {
            for (var ch = 0; ch < channels; ch++)
            {
                for (var k = 0; k < bins; k++)
                {
                    double re = 0, im = 0;
                    for (var j = 0; j < Math.Min(n, length); j++)
                    {
                        var angle = (inverse ? 2 : -2) * Math.PI * j * k / n;
                        var v = x[(((b * length) + j) * channels) + ch];
                        re += v * Math.Cos(angle);
                        im += v * Math.Sin(angle);
                    }

                    var at = ((((b * bins) + k) * channels) + ch) * 2;
                    expected[at] = inverse ? re / n : re;
                    expected[at + 1] = inverse ? im / n : im;
                }
            }
        }

        TestData.AssertClose(expected, c.Floats(yv), Tol, Tol);
    }

    [Fact]
    public void Dft_ComplexRoundTrip_NegativeAxis()
    {
        var rng = new Random(11);
        var x = TestData.Floats(rng, 2 * 5 * 2);
        var h = new OpHarness();
        var xv = h.Floats(x, 2, 5, 2);
        var fv = h.Output(TensorType.Float32);
        var yv = h.Output(TensorType.Float32);
        var c = h.Run(new DftOp(xv, -1, fv, -2, false, false), new DftOp(fv, -1, yv, -2, true, false));
        TestData.AssertClose(x.Select(v => (double)v).ToArray(), c.Floats(yv), Tol, Tol);
    }

    [Fact]
    public void Stft_WindowedFrames()
    {
        var rng = new Random(12);
        const int length = 23, frame = 8, step = 5;
        var x = TestData.Floats(rng, length);
        var window = Enumerable.Range(0, frame).Select(j => (float)(0.5 - (0.5 * Math.Cos(2 * Math.PI * j / frame)))).ToArray();
        var h = new OpHarness();
        var xv = h.Floats(x, 1, length, 1);
        var sv = h.ConstLongs([step]);
        var wv = h.ConstFloats(window, frame);
        var yv = h.Output(TensorType.Float32);
        var c = h.Run(new StftOp(xv, sv, wv, -1, yv, true));

        const int frames = 1 + ((length - frame) / step), bins = (frame / 2) + 1;
        Assert.Equal([1, frames, bins, 2], c.Shape(yv).ToArray());
        var expected = new double[frames * bins * 2];
        for (var f = 0; f < frames; f++)
        {
            for (var k = 0; k < bins; k++)
            {
                for (var j = 0; j < frame; j++)
                {
                    var v = (double)x[(f * step) + j] * window[j];
                    expected[(((f * bins) + k) * 2) + 0] += v * Math.Cos(-2 * Math.PI * j * k / frame);
                    expected[(((f * bins) + k) * 2) + 1] += v * Math.Sin(-2 * Math.PI * j * k / frame);
                }
            }
        }

        TestData.AssertClose(expected, c.Floats(yv), Tol, Tol);
    }

    [Fact]
    public void MelWeightMatrix_TrianglesPeakAtOne_OnTheOnnxExampleGrid()
    {
        // ONNX's example: 8 mel bins, dft_length 16, 8192 Hz, 0–4096 Hz.
        var h = new OpHarness();
        var y = h.Output(TensorType.Float32);
        var c = h.Run(new MelWeightMatrixOp(h.ConstLongs([8]), h.ConstLongs([16]), h.ConstLongs([8192]), h.ConstFloats([0f]), h.ConstFloats([4096f]), y));
        Assert.Equal([9, 8], c.Shape(y).ToArray());

        // Independent reference: edges on the mel scale, mapped to bins, then triangles.
        static double Mel(double f) => 2595 * Math.Log10(1 + (f / 700));
        var step = (Mel(4096) - Mel(0)) / 10;
        var edges = Enumerable.Range(0, 10).Select(e => (int)Math.Floor(17 * 700 * (Math.Pow(10, (Mel(0) + (e * step)) / 2595) - 1) / 8192)).ToArray();
        var expected = new double[9 * 8];
        for (var i = 0; i < 8; i++)
        {
            for (var j = 0; j < 9; j++)
            {
                double v = 0;
                if (j >= edges[i] && j <= edges[i + 1])
                {
                    v = edges[i + 1] == edges[i] ? (j == edges[i] ? 1 : 0) : (double)(j - edges[i]) / (edges[i + 1] - edges[i]);
                }

                if (j >= edges[i + 1] && j < edges[i + 2])
                {
                    v = (double)(edges[i + 2] - j) / (edges[i + 2] - edges[i + 1]);
                }

                expected[(j * 8) + i] = v;
            }

            Assert.Equal(1f, c.Floats(y)[(edges[i + 1] * 8) + i]);
        }

        TestData.AssertClose(expected, c.Floats(y), 0, 1e-6);
    }
}
