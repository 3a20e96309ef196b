namespace ModelBuild.Runtime.Tests;

public sealed class ReductionAllocationTests
{
    [Fact]
    public void ReductionKernels_DoNotAllocate()
    {
        float[] x = TestData.Floats(new Random(4), 2 * 3 * 4 * 5);
        var y = new float[x.Length];
        var scratch = new float[2 * x.Length];
        var indices = new long[x.Length];
        int[] shape = [2, 3, 4, 5];

        void Run()
        {
            // Rows, a column block, the offset walk.
            Kernels.Reduce(ReduceFunction.LogSumExp, x, shape, 0b1000, y, scratch);
            Kernels.Reduce(ReduceFunction.LogSumExp, x, shape, 0b0100, y, scratch);
            Kernels.Reduce(ReduceFunction.LogSumExp, x, shape, 0b1010, y, scratch);
            Kernels.Reduce(ReduceFunction.Mean, x, shape, 0b1010, y, scratch);
            Kernels.ArgReduce(true, false, x, indices, 6, 4, 5);
            Kernels.TopK(x, y, indices, 6, 4, 5, 2, true, scratch);
            Kernels.CumSum(x, y, 6, 4, 5, true, true);
            Kernels.LogSoftmax(x, y, 24, 5, 1);
            Kernels.Hardmax(x, y, 6, 4, 5);
        }

        SteadyState.AssertAllocatesNothing(Run);
    }
}
