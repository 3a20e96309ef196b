using ModelBuild.Compression.Algorithms.Pruning;
using ModelBuild.Compression.Algorithms.Quantization;

namespace ModelBuild.Compression.Tests.Methods.Quantization;

/// <summary>
/// The blocked kernels of issue 13 (Gram accumulation, Cholesky, triangular inverse, the shared inverse-Hessian
/// factor) against the row-at-a-time loops they replaced, transcribed here, bit for bit; and against the algebra
/// they compute (L·Lᵀ = A, L·L⁻¹ = I, UᵀU = (H + λI)⁻¹) in float64 within rounding.
/// </summary>
public sealed class CalibrationKernelTests
{
    public static TheoryData<int, int> GramSizes => new()
    {
        { 1, 1 }, { 127, 3 }, { 128, 8 }, { 129, 9 }, { 300, 17 }, { 5, 33 }, { 260, 70 }, { 200, 300 }, // the last on threads
    };

    public static TheoryData<int> MatrixSizes => new() { 1, 3, 4, 5, 8, 13, 37, 130 };

    [Theory]
    [MemberData(nameof(GramSizes))]
    public void Gram_accumulator_equals_the_per_row_outer_products_bit_for_bit(int rows, int cols)
    {
        var x = RandomRows(rows, cols, seed: rows + cols);
        var gram = new GramAccumulator(cols);
        for (var r = 0; r < rows; r++)
        {
            gram.Add(x.AsSpan(r * cols, cols));
        }

        var blocked = gram.Gram();
        var reference = PerRowGram(x, rows, cols);
        for (var a = 0; a < cols; a++)
        {
            for (var b = a; b < cols; b++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(reference[(a * cols) + b]), BitConverter.DoubleToInt64Bits(blocked[(a * cols) + b]));
            }
        }

        Assert.Equal(rows, gram.Count);
    }

    [Theory]
    [MemberData(nameof(MatrixSizes))]
    public void Cholesky_and_inverse_equal_the_row_at_a_time_loops_and_invert(int n)
    {
        foreach (var paired in new[] { true, false })
        {
            var a = RandomSpd(n, seed: n);
            var blocked = (double[])a.Clone();
            var reference = (double[])a.Clone();
            Assert.True(TriangularRows.CholeskyInPlace(blocked, n, paired));
            Assert.True(RowCholesky(reference, n, paired));
            AssertLowerBitsEqual(reference, blocked, n);

            // L·Lᵀ = A within float64 rounding (an independent check of what the loops compute).
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    double sum = 0;
                    for (var k = 0; k <= j; k++)
                    {
                        sum += blocked[(i * n) + k] * blocked[(j * n) + k];
                    }

                    Assert.Equal(a[(i * n) + j], sum, 1e-9 * n);
                }
            }

            var lower = (double[])blocked.Clone();
            var inverse = RowInvertLower(blocked, n);
            TriangularRows.InvertLowerInPlace(blocked, n);
            AssertLowerBitsEqual(inverse, blocked, n);
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    double sum = 0;
                    for (var k = j; k <= i; k++)
                    {
                        sum += lower[(i * n) + k] * blocked[(k * n) + j];
                    }

                    Assert.Equal(i == j ? 1 : 0, sum, 1e-9 * n);
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 9)]
    [InlineData(13, 16)]
    [InlineData(33, 17)]
    [InlineData(70, 40)]
    public void Square_times_tall_equals_the_naive_triple_loop_bit_for_bit(int n, int k)
    {
        var random = new Random(n * k);
        var a = Enumerable.Range(0, n * n).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var b = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, k, (_, _) => (random.NextDouble() * 2) - 1);
        var product = SquareTimesTall.Multiply(a, n, b);
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < k; c++)
            {
                var sum = 0.0;
                for (var t = 0; t < n; t++)
                {
                    sum += a[(r * n) + t] * b[t, c];
                }

                Assert.Equal(BitConverter.DoubleToInt64Bits(sum), BitConverter.DoubleToInt64Bits(product[r, c]));
            }
        }
    }

    [Fact]
    public void Cholesky_refuses_a_matrix_that_is_not_positive_definite()
    {
        var a = new double[25];
        for (var i = 0; i < 5; i++)
        {
            a[(i * 5) + i] = i == 1 ? -1 : 1; // the second pivot is negative
        }

        Assert.False(TriangularRows.CholeskyInPlace(a, 5));
    }

    [Fact]
    public void Shared_inverse_hessian_factor_is_computed_once_per_hessian_order_and_dampening()
    {
        const int n = 23;
        var h = RandomSpd(n, seed: 3);
        h[(5 * n) + 5] = 0; // a dead input: its diagonal becomes 1
        var first = HessianFactor.Shared(h, n, actOrder: false, 0.01);
        Assert.Same(first, HessianFactor.Shared(h, n, actOrder: false, 0.01));
        Assert.NotSame(first, HessianFactor.Shared(h, n, actOrder: false, 0.1));
        Assert.NotSame(first, HessianFactor.Shared(h, n, actOrder: true, 0.01));
        Assert.NotSame(first, HessianFactor.Shared((double[])h.Clone(), n, actOrder: false, 0.01));

        var direct = HessianFactor.InverseCholeskyUpper(h, n, Gptq.Order(h, n, false), 0.01);
        Assert.Equal(direct, first);

        // UᵀU·(H + λI) = I, H's dead diagonal replaced by 1 before damping (float64 algebra).
        var damped = (double[])h.Clone();
        var damp = 0.01 * Enumerable.Range(0, n).Average(i => h[(i * n) + i]);
        for (var i = 0; i < n; i++)
        {
            damped[(i * n) + i] = (damped[(i * n) + i] == 0 ? 1 : damped[(i * n) + i]) + damp;
        }

        AssertInverse(first, damped, n);
    }

    [Fact]
    public void SparseGpt_factor_is_the_upper_cholesky_factor_of_the_damped_inverse()
    {
        const int n = 41;
        var h = RandomSpd(n, seed: 9);
        var w = new double[2 * n];
        var u = SparseGpt.InverseCholeskyUpper(h, n, 0.01, w, 2);
        var damped = (double[])h.Clone();
        var damp = 0.01 * Enumerable.Range(0, n).Average(i => h[(i * n) + i]);
        for (var i = 0; i < n; i++)
        {
            damped[(i * n) + i] += damp;
            for (var j = 0; j < i; j++)
            {
                Assert.Equal(0, u[(i * n) + j]); // upper triangular
            }
        }

        AssertInverse(u, damped, n);
    }

    private static void AssertInverse(double[] u, double[] damped, int n)
    {
        // (UᵀU)·D = I.
        var inverse = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var k = 0; k < n; k++)
                {
                    sum += u[(k * n) + i] * u[(k * n) + j];
                }

                inverse[(i * n) + j] = sum;
            }
        }

        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var k = 0; k < n; k++)
                {
                    sum += inverse[(i * n) + k] * damped[(k * n) + j];
                }

                Assert.Equal(i == j ? 1 : 0, sum, 1e-8);
            }
        }
    }

    private static void AssertLowerBitsEqual(double[] expected, double[] actual, int n)
    {
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected[(i * n) + j]), BitConverter.DoubleToInt64Bits(actual[(i * n) + j]));
            }
        }
    }

    // Rows with a third exact zeros (ReLU outputs) and mixed signs, float32 as recorded activations are.
    private static float[] RandomRows(int rows, int cols, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * cols).Select(_ => random.NextDouble() < 0.33 ? 0f : (float)((random.NextDouble() * 4) - 1.5)).ToArray();
    }

    // A = BᵀB/m + 0.1·I with B random: symmetric positive definite and not diagonal-dominant.
    private static double[] RandomSpd(int n, int seed)
    {
        var random = new Random(seed);
        var m = n + 3;
        var b = Enumerable.Range(0, m * n).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var a = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var k = 0; k < m; k++)
                {
                    sum += b[(k * n) + i] * b[(k * n) + j];
                }

                a[(i * n) + j] = (sum / m) + (i == j ? 0.1 : 0);
            }
        }

        return a;
    }

    // The loop HessianBuilder ran before issue 13: one outer product per row, upper triangle, zeros skipped.
    private static double[] PerRowGram(float[] x, int rows, int cols)
    {
        var h = new double[cols * cols];
        var row = new double[cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                row[c] = x[(r * cols) + c];
            }

            for (var a = 0; a < cols; a++)
            {
                var va = row[a];
                if (va == 0)
                {
                    continue;
                }

                for (var b = a; b < cols; b++)
                {
                    h[(a * cols) + b] += va * row[b];
                }
            }
        }

        return h;
    }

    // The row-at-a-time Cholesky GPTQ (paired) and SparseGPT (single) ran before issue 13.
    private static bool RowCholesky(double[] a, int n, bool paired)
    {
        for (var i = 0; i < n; i++)
        {
            var rowI = a.AsSpan(i * n, n);
            for (var j = 0; j < i; j++)
            {
                var dot = paired ? TriangularRows.Dot(rowI[..j], a.AsSpan(j * n, j)) : TriangularRows.DotSingle(rowI[..j], a.AsSpan(j * n, j));
                rowI[j] = (rowI[j] - dot) / a[(j * n) + j];
            }

            var d = rowI[i] - (paired ? TriangularRows.Dot(rowI[..i], rowI[..i]) : TriangularRows.DotSingle(rowI[..i], rowI[..i]));
            if (!(d > 0))
            {
                return false;
            }

            rowI[i] = Math.Sqrt(d);
        }

        return true;
    }

    // The out-of-place inverse both ran before issue 13.
    private static double[] RowInvertLower(double[] l, int n)
    {
        var x = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            var row = x.AsSpan(i * n, i + 1);
            row[i] = 1;
            for (var k = 0; k < i; k++)
            {
                var f = l[(i * n) + k];
                if (f != 0)
                {
                    HessianFactor.Axpy(row[..(k + 1)], x.AsSpan(k * n, k + 1), -f);
                }
            }

            var d = l[(i * n) + i];
            for (var j = 0; j <= i; j++)
            {
                row[j] /= d;
            }
        }

        return x;
    }
}
