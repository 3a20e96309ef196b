using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

public sealed class LogSoftmaxHardmaxTests
{
    public static TheoryData<int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int level in TestData.Levels)
        {
            foreach ((int o, int a, int i) in new[] { (1, 10, 1), (3, 1, 1), (2, 7, 1), (4, 33, 1), (1, 1000, 1), (2, 5, 3), (3, 4, 8), (2, 6, 19) })
            {
                data.Add(level, o, a, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogSoftmax_MatchesReference_AndIsStableForLargeInputs(int level, int outer, int axis, int inner)
    {
        // Inputs up to 10⁴ (ONNX's large_number test): e^x overflows, and max + log Σ would lose 1e-3 to rounding.
        float[] x = TestData.Floats(new Random(axis), outer * axis * inner, -20, 10000);
        var expected = new double[x.Length];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                Func<int, int> at = a => (((o * axis) + a) * inner) + i;
                double max = Enumerable.Range(0, axis).Max(a => (double)x[at(a)]);
                double log = Math.Log(Enumerable.Range(0, axis).Sum(a => Math.Exp(x[at(a)] - max)));
                for (int a = 0; a < axis; a++)
                {
                    expected[at(a)] = x[at(a)] - max - log;
                }
            }
        }

        var y = new float[x.Length];
        Kernels.LogSoftmax((SimdLevel)level, x, y, outer, axis, inner);
        // x − max is exact in float32 (Sterbenz) for nearby values; what remains is log Σ's error, absolute.
        TestData.AssertClose(expected, y, Tolerances.Elementwise, Tolerances.Elementwise);

        Kernels.LogSoftmax((SimdLevel)level, x, x, outer, axis, inner);
        Assert.Equal(y, x);
    }

    [Fact]
    public void Hardmax_MarksTheFirstMaximum()
    {
        float[] x = [3, 1, 3, 0, -1, -2, -3, 2];
        var y = new float[8];
        Kernels.Hardmax(x, y, 2, 4, 1);
        Assert.Equal([1f, 0, 0, 0, 0, 0, 0, 1], y);
        Kernels.Hardmax(x, y, 1, 2, 4);
        Assert.Equal([1f, 1, 1, 0, 0, 0, 0, 1], y);
    }

    [Fact]
    public void LogSoftmaxAndHardmaxOps_Coerce2DLikeSoftmax()
    {
        float[] x = TestData.Floats(new Random(5), 24);
        // Opset < 13 with axis 1 on [2, 3, 4]: one row of 12 per batch item.
        var c = OpHarness.RunSingle(new HardmaxOp(0, 1, 1, true), x, [2, 3, 4], TensorType.Float32);
        Assert.Equal([2, 3, 4], c.Shape(1).ToArray());
        var y = c.Floats(1).ToArray();
        for (int b = 0; b < 2; b++)
        {
            var row = x.AsSpan(b * 12, 12).ToArray();
            Assert.Equal(1f, y[(b * 12) + Array.IndexOf(row, row.Max())]);
            Assert.Equal(1f, y.AsSpan(b * 12, 12).ToArray().Sum());
        }

        var l = OpHarness.RunSingle(new LogSoftmaxOp(0, 1, -3, true), x, [2, 3, 4], TensorType.Float32);
        double total = l.Floats(1).ToArray().Sum(v => Math.Exp(v));
        Assert.Equal(1.0, total, 5);
    }
}
