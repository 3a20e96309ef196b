using ModelBuild.Compression.Algorithms.Quantization;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Methods.Quantization;

/// <summary>GPTQ against a plain float64 transcription of the paper's algorithm, and against RTN on real data.</summary>
public sealed class GptqReferenceTests
{
    private const int Rows = 6;
    private const int Cols = 20;

    [Theory]
    [InlineData(false, 4)]
    [InlineData(false, 128)]
    [InlineData(true, 3)]
    public void Matches_a_plain_float64_reference_on_a_small_random_layer(bool actOrder, int blockSize)
    {
        var (w, h) = RandomLayer(seed: 7);
        var options = new GridOptions(3, false, true, Cols, false);
        var (matrix, decoded) = Gptq.Quantize(w, Rows, Cols, h, options, new GptqOptions(0.01, blockSize, actOrder), null, null);
        var expected = ReferenceGptq(w, h, actOrder);

        Assert.Equal(expected, decoded.Select(v => (double)v).ToArray());
        Assert.Equal(decoded, Assert.IsType<LinearQuantized>(matrix.ToStored()).Decode());
    }

    [Theory]
    [InlineData(5, 700, 128, 3, 131)] // a partial block and 700 − 131 columns: chunks of 256 and a tail, a k count not a multiple of 4
    [InlineData(3, 300, 16, 16, 32)]
    public void Lazy_update_gives_the_bits_of_one_axpy_per_k_and_row(int rows, int cols, int block, int i1, int i2)
    {
        var random = new Random(11);
        double[] Randoms(int n) => [.. Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 2) - 1)];
        var work = Randoms(rows * cols);
        var u = Randoms(cols * cols);
        var errors = Randoms(rows * block);
        errors[1] = 0; // a zero error is skipped, as before (so −0 never becomes +0)
        errors[block + 2] = -0.0;
        var expected = (double[])work.Clone();
        for (var r = 0; r < rows; r++)
        {
            for (var k = i1; k < i2; k++)
            {
                var e = errors[(r * block) + k - i1];
                for (var c = i2; c < cols && e != 0; c++)
                {
                    expected[(r * cols) + c] += -e * u[(k * cols) + c];
                }
            }
        }

        Gptq.LazyUpdate(work, errors, u, rows, cols, block, i1, i2);

        Assert.Equal(expected, work);
    }

    [Fact]
    public void Lowers_the_output_error_against_round_to_nearest_on_calibration_data()
    {
        var context = MethodHarness.Context(MnistCase.Mlp);
        foreach (var layer in context.Layers())
        {
            var w = context.GetMatrix(layer).Select(v => (double)v).ToArray();
            var h = context.InputHessian(layer, "test");
            var options = new GridOptions(3, false, true, layer.Cols, false);
            var rtn = RoundToNearest.Quantize(w, layer.Rows, layer.Cols, options, null, null).Decoded;
            var gptq = Gptq.Quantize(w, layer.Rows, layer.Cols, h, options, new GptqOptions(), null, null).Decoded;

            // ‖(W − Ŵ)X‖² / n = Σ_rows Δ H Δᵀ with H = XᵀX / n.
            var rtnError = OutputError(w, rtn, h, layer.Rows, layer.Cols);
            var gptqError = OutputError(w, gptq, h, layer.Rows, layer.Cols);
            Assert.True(gptqError < 0.7 * rtnError, $"{layer.Name}: GPTQ {gptqError} vs RTN {rtnError}");
        }
    }

    internal static double OutputError(double[] w, float[] q, double[] h, int rows, int cols)
    {
        double total = 0;
        var delta = new double[cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                delta[c] = w[(r * cols) + c] - q[(r * cols) + c];
            }

            for (var a = 0; a < cols; a++)
            {
                for (var b = 0; b < cols; b++)
                {
                    total += delta[a] * h[(a * cols) + b] * delta[b];
                }
            }
        }

        return total;
    }

    private static (double[] W, double[] H) RandomLayer(int seed)
    {
        var random = new Random(seed);
        var w = Enumerable.Range(0, Rows * Cols).Select(_ => random.NextDouble() - 0.5).ToArray();
        var mix = Enumerable.Range(0, Cols * Cols).Select(_ => random.NextDouble() - 0.5).ToArray();
        const int n = 200;
        var x = new double[n * Cols];
        for (var s = 0; s < n; s++)
        {
            var z = Enumerable.Range(0, Cols).Select(_ => random.NextDouble() - 0.5).ToArray();
            for (var c = 0; c < Cols; c++)
            {
                x[(s * Cols) + c] = z[c] + Enumerable.Range(0, Cols).Sum(k => z[k] * mix[(k * Cols) + c]);
            }
        }

        var h = new double[Cols * Cols];
        for (var a = 0; a < Cols; a++)
        {
            for (var b = 0; b < Cols; b++)
            {
                h[(a * Cols) + b] = Enumerable.Range(0, n).Sum(s => x[(s * Cols) + a] * x[(s * Cols) + b]) / n;
            }
        }

        return (w, h);
    }

    // Algorithm 1 of Frantar et al. (2022) without lazy batches: H⁻¹ by Gauss-Jordan, its upper Cholesky factor,
    // then for each column q = round(w), err = (w − q) / U[j,j], W[:, j+1:] −= err · U[j, j+1:].
    private static double[] ReferenceGptq(double[] w0, double[] h0, bool actOrder)
    {
        var perm = Enumerable.Range(0, Cols).ToArray();
        if (actOrder)
        {
            perm = perm.OrderByDescending(i => h0[(i * Cols) + i]).ThenBy(i => i).ToArray();
        }

        var scales = new float[Rows];
        for (var r = 0; r < Rows; r++)
        {
            scales[r] = (float)(Enumerable.Range(0, Cols).Max(c => Math.Abs(w0[(r * Cols) + c])) / 3);
        }

        var mean = Enumerable.Range(0, Cols).Average(i => h0[(i * Cols) + i]);
        var h = new double[Cols, Cols];
        for (var a = 0; a < Cols; a++)
        {
            for (var b = 0; b < Cols; b++)
            {
                h[a, b] = h0[(perm[a] * Cols) + perm[b]] + (a == b ? 0.01 * mean : 0);
            }
        }

        var u = UpperCholesky(Invert(h));
        var w = new double[Rows, Cols];
        for (var r = 0; r < Rows; r++)
        {
            for (var j = 0; j < Cols; j++)
            {
                w[r, j] = w0[(r * Cols) + perm[j]];
            }
        }

        var result = new double[Rows * Cols];
        for (var j = 0; j < Cols; j++)
        {
            for (var r = 0; r < Rows; r++)
            {
                var code = Math.Clamp(Math.Round(w[r, j] / scales[r]), -3, 3);
                double q = (float)(code * scales[r]);
                result[(r * Cols) + perm[j]] = q;
                var err = (w[r, j] - q) / u[j, j];
                for (var k = j + 1; k < Cols; k++)
                {
                    w[r, k] -= err * u[j, k];
                }
            }
        }

        return result;
    }

    private static double[,] Invert(double[,] m)
    {
        var n = m.GetLength(0);
        var a = (double[,])m.Clone();
        var inv = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            inv[i, i] = 1;
        }

        for (var col = 0; col < n; col++)
        {
            var pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(a[r, col]));
            for (var k = 0; k < n; k++)
            {
                (a[col, k], a[pivot, k]) = (a[pivot, k], a[col, k]);
                (inv[col, k], inv[pivot, k]) = (inv[pivot, k], inv[col, k]);
            }

            var p = a[col, col];
            for (var k = 0; k < n; k++)
            {
                a[col, k] /= p;
                inv[col, k] /= p;
            }

            for (var r = 0; r < n; r++)
            {
                var f = a[r, col];
                if (r != col && f != 0)
                {
                    for (var k = 0; k < n; k++)
                    {
                        a[r, k] -= f * a[col, k];
                        inv[r, k] -= f * inv[col, k];
                    }
                }
            }
        }

        return inv;
    }

    // U upper triangular with UᵀU = A (the transpose of the lower Cholesky factor).
    private static double[,] UpperCholesky(double[,] a)
    {
        var n = a.GetLength(0);
        var l = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[i, j];
                for (var k = 0; k < j; k++)
                {
                    sum -= l[i, k] * l[j, k];
                }

                l[i, j] = i == j ? Math.Sqrt(sum) : sum / l[j, j];
            }
        }

        var u = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                u[i, j] = l[j, i];
            }
        }

        return u;
    }
}
