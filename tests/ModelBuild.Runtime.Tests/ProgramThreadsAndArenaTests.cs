using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// A whole program run the way generated predictors run it: with <see cref="ModelProgram.IntraOpThreads"/> = 2 its
/// outputs are bit-identical to one thread and a steady-state call allocates nothing; every arena slot and the
/// scratch area start on a 64-byte boundary, also after they grow.
/// </summary>
public sealed class ProgramThreadsAndArenaTests
{
    [Fact]
    public void TwoThreads_SameBitsAsOne_AndNoAllocation()
    {
        var rng = new Random(12);
        const int Rows = 64, K = 784, N = 256, N2 = 128;
        var h = new OpHarness();
        int x = h.Floats(TestData.Floats(rng, Rows * K), Rows, K);
        int hidden = h.Output();
        int y = h.Output();
        int w1 = h.BlobFloats(TestData.Floats(rng, N * K, -0.05f, 0.05f), N, K);
        int b1 = h.BlobFloats(TestData.Floats(rng, N));
        int w2 = h.BlobFloats(TestData.Floats(rng, N2 * N, -0.1f, 0.1f), N2, N);
        (ModelProgram program, OpContext context) = h.Prepare(
            new DenseOp(x, hidden, w1, b1, Activation.Relu), new DenseOp(hidden, y, w2, -1, Activation.None));

        program.Run(context);
        float[] one = context.Floats(y).ToArray();
        Assert.True(IntraOp.Parts(2, 2.0 * Rows * N * K, N) > 1, "the first layer must be split for this test to mean anything");

        program.IntraOpThreads = 2;
        for (int i = 0; i < 20; i++)
        {
            program.Run(context);
            Assert.Equal(one, context.Floats(y).ToArray());
        }

        SteadyState.AssertAllocatesNothing(() => program.Run(context), "a 2-thread program run");
    }

    [Fact]
    public void PoolAndConcat_TwoThreads_SameBitsAsOne_AndNoAllocation()
    {
        // SqueezeNet's pool and a fire module's concat at batch 64 (BatchParallel): max 3x3/2, average 3x3/1 pad 1, concat.
        var rng = new Random(13);
        const int Batch = 64, C = 64;
        var h = new OpHarness();
        int x = h.Floats(TestData.Floats(rng, Batch * C * 15 * 15), Batch, C, 15, 15);
        int pooled = h.Output();
        int averaged = h.Output();
        int y = h.Output();
        (ModelProgram program, OpContext context) = h.Prepare(
            new PoolOp(x, pooled, -1, true, [3, 3], [2, 2], [1, 1], [0, 0, 0, 0], "NOTSET", false, false, false),
            new PoolOp(pooled, averaged, -1, false, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1], "NOTSET", false, false, false),
            new ConcatOp([pooled, averaged, pooled], y, 1));

        program.Run(context);
        float[] one = context.Floats(y).ToArray();
        Assert.Equal(Batch * 3 * C * 49, one.Length);
        Assert.True(IntraOp.Parts(2, (double)Batch * C * 49 * 9, Batch) > 1, "the pools must be split for this test to mean anything");
        Assert.True(IntraOp.Parts(2, Batch * 3.0 * C * 49 * 4 / 2, Batch) > 1, "the concat must be split for this test to mean anything");

        program.IntraOpThreads = 2;
        for (int i = 0; i < 10; i++)
        {
            program.Run(context);
            Assert.Equal(one, context.Floats(y).ToArray());
        }

        SteadyState.AssertAllocatesNothing(() => program.Run(context), "a 2-thread pool and concat run");
    }

    [Fact]
    public void ArenaSlotsAndScratch_Start64ByteAligned_AlsoAfterGrowing()
    {
        var h = new OpHarness();
        int a = h.Floats(new float[3], 3);
        int b = h.Output();
        int c = h.Output(TensorType.Int64);
        (_, OpContext context) = h.Prepare();

        foreach (int size in new[] { 1, 5, 17, 1000, 4099, 70_000 })
        {
            context.SetInput<float>(a, new float[size], [size]);
            context.OutputFloats(b, [size + 1]);
            context.OutputLongs(c, [size + 2]);
            Assert.Equal(0, Offset(context.Floats(a)));
            Assert.Equal(0, Offset(context.Floats(b)));
            Assert.Equal(0, Offset(MemoryMarshal.Cast<long, float>(context.Longs(c))));
            Assert.Equal(0, Offset(context.Scratch(size * 3)));
        }
    }

    [Fact]
    public void GrowingSlot_KeepsItsBytes()
    {
        var h = new OpHarness();
        int a = h.Floats(new float[3], 3);
        (_, OpContext context) = h.Prepare();
        context.SetInput<float>(a, [1, 2, 3], [3]);

        // A larger shape on the same slot: an aliasing op may still read the old values through it.
        Span<float> grown = context.OutputFloats(a, [5000]);
        Assert.Equal([1f, 2f, 3f], grown[..3].ToArray());
    }

    private static unsafe long Offset(ReadOnlySpan<float> span) =>
        (long)(nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)) % 64;
}
