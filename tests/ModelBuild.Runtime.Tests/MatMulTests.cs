using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>The general matrix product (MatMul of activations, Gemm) against a float64 reference.</summary>
public sealed class MatMulTests
{
    public static TheoryData<int, int, int, int> KernelSizes()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (var level in new[] { 0, 1, 2 })
        {
            // Rows 1..9 cover full 4-row blocks and every partial block; columns cover 2-vector, 1-vector and scalar tails.
            foreach (var (m, k, n) in new[] { (1, 1, 1), (3, 7, 5), (4, 16, 16), (5, 33, 17), (9, 8, 31), (7, 3, 40), (2, 0, 3), (1, 64, 1), (8, 32, 25) })
            {
                data.Add(level, m, k, n);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KernelSizes))]
    public void Kernel_matches_float64_at_every_level(int level, int m, int k, int n)
    {
        var rng = new Random((m * 131) + (k * 17) + n);
        var a = TestData.Floats(rng, m * k);
        var b = TestData.Floats(rng, k * n);
        var y = new float[m * n];
        y.AsSpan().Fill(float.NaN); // k = 0 must still write zeros
        Kernels.MatMul((SimdLevel)level, a, b, y, m, k, n);
        var (expected, magnitude) = Product(a, b, 1, m, k, n, 0, 0);
        TestData.AssertClose(expected, y, Tolerances.Dot, magnitude: magnitude);
    }

    [Theory]
    [InlineData(new[] { 2, 3, 5, 4 }, new[] { 2, 3, 4, 6 }, new[] { 2, 3, 5, 6 })] // attention: both batched
    [InlineData(new[] { 2, 1, 5, 4 }, new[] { 3, 4, 6 }, new[] { 2, 3, 5, 6 })] // leading dims broadcast both ways
    [InlineData(new[] { 3, 5, 4 }, new[] { 4, 6 }, new[] { 3, 5, 6 })] // B one matrix: one tall product
    [InlineData(new[] { 5, 4 }, new[] { 3, 4, 6 }, new[] { 3, 5, 6 })] // A broadcast over B's batch
    [InlineData(new[] { 4 }, new[] { 2, 4, 6 }, new[] { 2, 6 })] // 1-D left: a row, dropped
    [InlineData(new[] { 2, 5, 4 }, new[] { 4 }, new[] { 2, 5 })] // 1-D right: a column, dropped
    [InlineData(new[] { 4 }, new[] { 4 }, new int[0])] // dot product: a scalar
    [InlineData(new[] { 2, 0, 4 }, new[] { 4, 3 }, new[] { 2, 0, 3 })] // empty
    public void MatMul_op_follows_numpy_matmul(int[] sa, int[] sb, int[] expectedShape)
    {
        var rng = new Random(7);
        var a = TestData.Floats(rng, sa.Aggregate(1, (p, d) => p * d));
        var b = TestData.Floats(rng, sb.Aggregate(1, (p, d) => p * d));
        var run = new OpHarness();
        int av = run.Floats(a, sa), bv = run.ConstFloats(b, sb), y = run.Output();
        var c = run.Run(new MatMulOp(av, bv, y));
        Assert.Equal(expectedShape, c.Shape(y).ToArray());
        TestData.AssertClose(NumpyMatMul(a, sa, b, sb), c.Floats(y), Tolerances.Dot, 1e-6);
    }

    [Fact]
    public void MatMul_op_refuses_mismatched_inner_dims()
    {
        var run = new OpHarness();
        int a = run.Floats(new float[6], 2, 3), b = run.Floats(new float[8], 4, 2), y = run.Output();
        var e = Assert.Throws<ArgumentException>(() => run.Run(new MatMulOp(a, b, y) { Node = "mm" }));
        Assert.Contains("'mm'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, false, 1f, 1f, new[] { 3, 5 })]
    [InlineData(true, false, 0.5f, 2f, new[] { 5 })]
    [InlineData(false, true, 1f, 1f, new[] { 3, 1 })] // one bias per row
    [InlineData(true, true, -1.5f, 0.25f, new[] { 1, 5 })]
    [InlineData(true, true, 2f, 3f, new int[0])] // scalar C
    [InlineData(false, false, 1f, 0f, new[] { 3, 5 })] // beta = 0 ignores C
    [InlineData(true, false, 1f, 1f, null)] // no C
    public void Gemm_op_matches_the_spec_formula(bool transA, bool transB, float alpha, float beta, int[]? cShape)
    {
        const int m = 3, k = 7, n = 5;
        var rng = new Random(11);
        var a = TestData.Floats(rng, m * k);
        var b = TestData.Floats(rng, k * n);
        var cData = cShape is null ? null : TestData.Floats(rng, cShape.Aggregate(1, (p, d) => p * d));
        var run = new OpHarness();
        var av = run.Floats(a, transA ? [k, m] : [m, k]);
        var bv = run.Floats(b, transB ? [n, k] : [k, n]);
        var cv = cData is null ? -1 : run.ConstFloats(cData, cShape!);
        var y = run.Output();
        var c = run.Run(new GemmOp(av, bv, cv, y, transA, transB, alpha, beta));
        Assert.Equal([m, n], c.Shape(y).ToArray());
        var expected = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++)
                {
                    s += (double)a[transA ? (p * m) + i : (i * k) + p] * b[transB ? (j * k) + p : (p * n) + j];
                }

                var bias = cData is null ? 0 : cData.Length == 1 ? cData[0] : cShape![^1] == 1 ? cData[i] : cShape.Length == 2 && cShape[0] == m ? cData[(i * n) + j] : cData[j];
                expected[(i * n) + j] = (alpha * s) + (beta * bias);
            }
        }

        TestData.AssertClose(expected, c.Floats(y), Tolerances.Dot, 1e-5);
    }

    /// <summary>numpy.matmul in float64, written out: promote 1-D operands, broadcast the batch dims, multiply.</summary>
    private static double[] NumpyMatMul(float[] a, int[] sa, float[] b, int[] sb)
    {
        var la = sa.Length == 1 ? new[] { 1, sa[0] } : sa;
        var lb = sb.Length == 1 ? new[] { sb[0], 1 } : sb;
        int m = la[^2], k = la[^1], n = lb[^1];
        var ba = la[..^2];
        var bb = lb[..^2];
        var rank = Math.Max(ba.Length, bb.Length);
        var pa = Enumerable.Repeat(1, rank - ba.Length).Concat(ba).ToArray();
        var pb = Enumerable.Repeat(1, rank - bb.Length).Concat(bb).ToArray();
        var batch = pa.Zip(pb, Math.Max).ToArray();
        var count = batch.Aggregate(1, (p, d) => p * d);
        var y = new double[count * m * n];
        for (var t = 0; t < count; t++)
        {
            int rest = t, ia = 0, ib = 0, stA = 1, stB = 1;
            for (var d = rank - 1; d >= 0; d--)
            {
                var i = rest % batch[d];
                rest /= batch[d];
                ia += (pa[d] == 1 ? 0 : i) * stA;
                ib += (pb[d] == 1 ? 0 : i) * stB;
                stA *= pa[d];
                stB *= pb[d];
            }

            var (block, _) = Product(a, b, 1, m, k, n, ia * m * k, ib * k * n);
            Array.Copy(block, 0, y, t * m * n, m * n);
        }

        return y;
    }

    private static (double[] Y, double[] Magnitude) Product(float[] a, float[] b, int batch, int m, int k, int n, int offA, int offB)
    {
        var y = new double[batch * m * n];
        var mag = new double[y.Length];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double s = 0, g = 0;
                for (var p = 0; p < k; p++)
                {
                    double v = (double)a[offA + (i * k) + p] * b[offB + (p * n) + j];
                    s += v;
                    g += Math.Abs(v);
                }

                y[(i * n) + j] = s;
                mag[(i * n) + j] = g;
            }
        }

        return (y, mag);
    }
}
