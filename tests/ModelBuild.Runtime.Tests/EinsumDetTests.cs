using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>Einsum (label ids as the lowering resolves them) and Det against float64 element-by-element references.</summary>
public sealed class EinsumDetTests
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData(2, 3, 5, 4)]
    [InlineData(1, 7, 9, 1)]
    [InlineData(3, 1, 2, 17)]
    public void Einsum_BatchMatMul_bij_bjk_bik(int b, int i, int j, int k)
    {
        var rng = new Random(1);
        var a = TestData.Floats(rng, b * i * j);
        var bb = TestData.Floats(rng, b * j * k);
        var expected = new double[b * i * k];
        for (var n = 0; n < b; n++)
        {
            for (var r = 0; r < i; r++)
            {
                for (var col = 0; col < k; col++)
                {
                    for (var p = 0; p < j; p++)
                    {
                        expected[(((n * i) + r) * k) + col] += (double)a[(((n * i) + r) * j) + p] * bb[(((n * j) + p) * k) + col];
                    }
                }
            }
        }

        // labels: b=0, i=1, j=2, k=3
        var y = Run(a, [b, i, j], bb, [b, j, k], [0, 1, 2], [0, 2, 3], [0, 1, 3], 4, out var shape);
        Assert.Equal([b, i, k], shape);
        TestData.AssertClose(expected, y, Tol, Tol);
    }

    [Fact]
    public void Einsum_AttentionScores_bhid_bhjd_bhij()
    {
        var rng = new Random(2);
        int b = 2, h = 3, i = 5, j = 4, d = 7;
        var q = TestData.Floats(rng, b * h * i * d);
        var k = TestData.Floats(rng, b * h * j * d);
        var expected = new double[b * h * i * j];
        for (var bh = 0; bh < b * h; bh++)
        {
            for (var r = 0; r < i; r++)
            {
                for (var col = 0; col < j; col++)
                {
                    for (var p = 0; p < d; p++)
                    {
                        expected[(((bh * i) + r) * j) + col] += (double)q[(((bh * i) + r) * d) + p] * k[(((bh * j) + col) * d) + p];
                    }
                }
            }
        }

        // labels: b=0, h=1, i=2, j=3, d=4
        var y = Run(q, [b, h, i, d], k, [b, h, j, d], [0, 1, 2, 4], [0, 1, 3, 4], [0, 1, 2, 3], 5, out var shape);
        Assert.Equal([b, h, i, j], shape);
        TestData.AssertClose(expected, y, Tol, Tol);
    }

    [Fact]
    public void Einsum_OneOperand_TransposeDiagonalTraceAndSum()
    {
        var rng = new Random(3);
        var x = TestData.Floats(rng, 3 * 5);
        var transposed = Run(x, [3, 5], null, [], [0, 1], [], [1, 0], 2, out var ts);
        Assert.Equal([5, 3], ts);
        Assert.Equal(Enumerable.Range(0, 15).Select(n => x[((n % 3) * 5) + (n / 3)]), transposed);

        var total = Run(x, [3, 5], null, [], [0, 1], [], [], 2, out var ss);
        Assert.Empty(ss);
        TestData.AssertClose([x.Sum(v => (double)v)], total, Tol, Tol);

        var square = TestData.Floats(rng, 4 * 4);
        var diagonal = Run(square, [4, 4], null, [], [0, 0], [], [0], 1, out var ds);
        Assert.Equal([4], ds);
        Assert.Equal(Enumerable.Range(0, 4).Select(n => square[n * 5]), diagonal);

        var trace = Run(square, [4, 4], null, [], [0, 0], [], [], 1, out _);
        TestData.AssertClose([Enumerable.Range(0, 4).Sum(n => (double)square[n * 5])], trace, Tol, Tol);
    }

    [Fact]
    public void Einsum_EllipsisBroadcasting_DimOfOneStretches()
    {
        // "...ij,...jk->...ik" with batch dims [2, 1] and [3]: the result batch is [2, 3].
        var rng = new Random(4);
        var a = TestData.Floats(rng, 2 * 1 * 4 * 3);
        var b = TestData.Floats(rng, 3 * 3 * 5);
        // labels: ellipsis 0, 1; i=2, j=3, k=4
        var y = Run(a, [2, 1, 4, 3], b, [3, 3, 5], [0, 1, 2, 3], [1, 3, 4], [0, 1, 2, 4], 5, out var shape);
        Assert.Equal([2, 3, 4, 5], shape);
        var expected = new double[2 * 3 * 4 * 5];
        for (var n = 0; n < expected.Length; n++)
        {
            var idx = Nd.Unravel(n, [2, 3, 4, 5]);
            for (var p = 0; p < 3; p++)
            {
                expected[n] += (double)a[Nd.Ravel([idx[0], 0, idx[2], p], [2, 1, 4, 3])] * b[Nd.Ravel([idx[1], p, idx[3]], [3, 3, 5])];
            }
        }

        TestData.AssertClose(expected, y, Tol, Tol);
    }

    [Fact]
    public void Einsum_TwoOperands_OneSidedSumAndElementwiseProduct()
    {
        var rng = new Random(5);
        var a = TestData.Floats(rng, 3 * 4);
        var b = TestData.Floats(rng, 4 * 5);

        // "ij,jk->k": i is summed over A alone (the nested-loop path).
        var expected = new double[5];
        for (var k = 0; k < 5; k++)
        {
            for (var i = 0; i < 3; i++)
            {
                for (var j = 0; j < 4; j++)
                {
                    expected[k] += (double)a[(i * 4) + j] * b[(j * 5) + k];
                }
            }
        }

        var y = Run(a, [3, 4], b, [4, 5], [0, 1], [1, 2], [2], 3, out var shape);
        Assert.Equal([5], shape);
        TestData.AssertClose(expected, y, Tol, Tol);

        // "ij,ji->ij": an element-wise product with B read transposed (every label is a batch label).
        var bt = TestData.Floats(rng, 4 * 3);
        var hadamard = Run(a, [3, 4], bt, [4, 3], [0, 1], [1, 0], [0, 1], 2, out _);
        TestData.AssertClose(Enumerable.Range(0, 12).Select(n => (double)a[n] * bt[((n % 4) * 3) + (n / 4)]).ToArray(), hadamard, Tol, Tol);

        // "ij,jk->ki": the product written transposed.
        var transposed = Run(a, [3, 4], b, [4, 5], [0, 1], [1, 2], [2, 0], 3, out var ts);
        Assert.Equal([5, 3], ts);
        var product = new double[15];
        for (var n = 0; n < 15; n++)
        {
            int k = n / 3, i = n % 3;
            for (var j = 0; j < 4; j++)
            {
                product[n] += (double)a[(i * 4) + j] * b[(j * 5) + k];
            }
        }

        TestData.AssertClose(product, transposed, Tol, Tol);
    }

    [Fact]
    public void Einsum_RejectsMismatchedLabelSizes()
    {
        Assert.Throws<ArgumentException>(() => Run(new float[6], [2, 3], new float[8], [4, 2], [0, 1], [1, 2], [0, 2], 3, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void Det_MatchesCofactorExpansion(int m)
    {
        var rng = new Random(m);
        var batch = 3;
        var x = TestData.Floats(rng, batch * m * m, -2, 2);
        var h = new OpHarness();
        var xv = h.Floats(x, batch, m, m);
        var yv = h.Output(TensorType.Float32);
        var c = h.Run(new DetOp(xv, yv));
        Assert.Equal([batch], c.Shape(yv).ToArray());
        var expected = Enumerable.Range(0, batch)
            .Select(b => Cofactor(x.Skip(b * m * m).Take(m * m).Select(v => (double)v).ToArray(), m)).ToArray();
        var magnitude = expected.Select(e => Math.Max(1, Math.Abs(e))).ToArray();
        TestData.AssertClose(expected, c.Floats(yv), 1e-5, 0, magnitude);
    }

    [Fact]
    public void Det_SingularAndPivotingCases()
    {
        var h = new OpHarness();
        // A zero leading pivot needs a row swap (det = −1·2·3... here [[0,2],[3,1]] → −6); the second is singular.
        var xv = h.Floats([0, 2, 3, 1, 1, 2, 2, 4], 2, 2, 2);
        var yv = h.Output(TensorType.Float32);
        var c = h.Run(new DetOp(xv, yv));
        Assert.Equal([-6f, 0f], c.Floats(yv).ToArray());
    }

    private static double Cofactor(double[] a, int m)
    {
        if (m == 1)
        {
            return a[0];
        }

        var det = 0.0;
        for (var col = 0; col < m; col++)
        {
            var minor = new List<double>();
            for (var r = 1; r < m; r++)
            {
                for (var k = 0; k < m; k++)
                {
                    if (k != col)
                    {
                        minor.Add(a[(r * m) + k]);
                    }
                }
            }

            det += (col % 2 == 0 ? 1 : -1) * a[col] * Cofactor([.. minor], m - 1);
        }

        return det;
    }

    private static float[] Run(float[] a, int[] shapeA, float[]? b, int[] shapeB, int[] labelsA, int[] labelsB, int[] labelsY, int labelCount, out int[] shape)
    {
        var h = new OpHarness();
        var av = h.Floats(a, shapeA);
        var bv = b is null ? -1 : h.Floats(b, shapeB);
        var yv = h.Output(TensorType.Float32);
        var c = h.Run(new EinsumOp(av, bv, yv, labelsA, labelsB, labelsY, labelCount));
        shape = c.Shape(yv).ToArray();
        return c.Floats(yv).ToArray();
    }
}
