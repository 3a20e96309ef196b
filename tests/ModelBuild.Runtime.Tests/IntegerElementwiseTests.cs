using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>Mod, Pow and PRelu on int64 and on floats of mixed signs; the int64 forms of Neg, Abs, Sign and Relu.</summary>
public sealed class IntegerElementwiseTests
{
    private static readonly long[] A = [-7, -4, -1, 0, 1, 4, 7, 9, long.MinValue];
    private static readonly long[] B = [3, -3, 2, 5, -2, 4, -5, 3, -1];

    private static long[] Binary(BinaryFunction f, long[] a, long[] b)
    {
        var h = new OpHarness();
        int y = h.Output(TensorType.Int64);
        return h.Run(new BinaryOp(h.ConstLongs(a, a.Length), h.ConstLongs(b, b.Length), y, f)).Longs(y).ToArray();
    }

    [Fact]
    public void Mod_Int64_FlooredTakesTheDivisorsSign_FModTheDividends()
    {
        // Python's % and C's fmod (BigInteger.Remainder truncates), computed independently here.
        var floored = A.Select((a, i) => (long)(((System.Numerics.BigInteger)a % B[i] + B[i]) % B[i])).ToArray();
        var truncated = A.Select((a, i) => (long)System.Numerics.BigInteger.Remainder(a, B[i])).ToArray();
        Assert.Equal(floored, Binary(BinaryFunction.Mod, A, B));
        Assert.Equal(truncated, Binary(BinaryFunction.FMod, A, B));
        Assert.Equal([2L, -1, 1, 0, -1, 0, -3, 0, 0], floored);
    }

    [Fact]
    public void Mod_Int64_ByZero_Throws()
    {
        Assert.Throws<DivideByZeroException>(() => Binary(BinaryFunction.Mod, [5], [0]));
        Assert.Throws<DivideByZeroException>(() => Binary(BinaryFunction.FMod, [5], [0]));
    }

    [Fact]
    public void Pow_Int64_IsExact_AndNegativeExponentsTruncate()
    {
        Assert.Equal([1L, 3, 9, 27, 3486784401, 1, -1, 1, 0, -8, 1L << 62],
            Binary(BinaryFunction.Pow, [3, 3, 3, 3, 3, 1, -1, -1, 2, -2, 2], [0, 1, 2, 3, 20, -5, -3, -4, -1, 3, 62]));
        Assert.Throws<DivideByZeroException>(() => Binary(BinaryFunction.Pow, [0], [-1]));
    }

    [Fact]
    public void PRelu_Int64_ScalesNegativesOnly()
    {
        Assert.Equal([-14L, 4, -2, 0, 1], Binary(BinaryFunction.PRelu, [-7, 4, -1, 0, 1], [2, 2, 2, 2, 2]));
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void Mod_FMod_PRelu_Floats_MixedSigns_MatchFloat64(int level)
    {
        var rng = new Random(17);
        float[] a = TestData.Floats(rng, 3 * 37, -10, 10);
        float[] b = TestData.Floats(rng, 37, -4, 4).Select(v => MathF.Abs(v) < 0.1f ? 0.5f : v).ToArray();
        var y = new float[a.Length];
        foreach (var f in new[] { BinaryFunction.Mod, BinaryFunction.FMod, BinaryFunction.PRelu })
        {
            Kernels.Binary((SimdLevel)level, f, a, [3, 37], false, b, [1, 37], false, y, [3, 37], 1);
            var expected = a.Select((v, i) => Reference.Binary(f, v, b[i % 37])).ToArray();
            TestData.AssertClose(expected, y, Tolerances.Elementwise, 1e-6);
            if (f != BinaryFunction.PRelu)
            {
                // The result's sign is the divisor's (Mod) or the dividend's (FMod) unless it is 0.
                Assert.All(y.Select((r, i) => (r, i)), p => Assert.True(p.r == 0 || (p.r < 0) == ((f == BinaryFunction.Mod ? b[p.i % 37] : a[p.i]) < 0)));
            }
        }
    }

    [Fact]
    public void Unary_Int64_NegAbsSignRelu()
    {
        long[] x = [-5, 0, 3, long.MaxValue];
        var h = new OpHarness();
        int ix = h.ConstLongs(x, 4);
        int neg = h.Output(TensorType.Int64), abs = h.Output(TensorType.Int64), sign = h.Output(TensorType.Int64), relu = h.Output(TensorType.Int64);
        var c = h.Run(new UnaryOp(ix, neg, UnaryFunction.Neg, 0, 0), new UnaryOp(ix, abs, UnaryFunction.Abs, 0, 0),
            new UnaryOp(ix, sign, UnaryFunction.Sign, 0, 0), new UnaryOp(ix, relu, UnaryFunction.Relu, 0, 0));
        Assert.Equal([5L, 0, -3, -long.MaxValue], c.Longs(neg).ToArray());
        Assert.Equal([5L, 0, 3, long.MaxValue], c.Longs(abs).ToArray());
        Assert.Equal([-1L, 0, 1, 1], c.Longs(sign).ToArray());
        Assert.Equal([0L, 0, 3, long.MaxValue], c.Longs(relu).ToArray());

        var bad = new OpHarness();
        var op = new UnaryOp(bad.ConstLongs([1], 1), bad.Output(TensorType.Int64), UnaryFunction.Exp, 0, 0);
        Assert.Throws<ArgumentException>(() => bad.Run(op));
    }
}
