namespace ModelBuild.Runtime.Tests;

public sealed class ConcurrencyAndArenaTests
{
    [Fact]
    public void SharedBlob_ParallelFloatsAndDense_AreIdentical()
    {
        var rng = new Random(9);
        var q = new sbyte[64 * 100];
        rng.NextBytes((byte[])(Array)q);
        float[] scales = TestData.Floats(rng, 64, 0.01f, 0.1f);
        var entries = new List<BlobEntrySpec>();
        for (int i = 0; i < 8; i++)
        {
            entries.Add(new($"w{i}", WeightFormat.Int8, [64, 100], BlobWriter.Int8(scales, q)));
        }

        WeightBlob blob = WeightBlob.Load(BlobWriter.Write(entries));
        float[] x = TestData.Floats(rng, 3 * 100);
        var expected = new float[3 * 64];
        Kernels.Dense(x, blob.Matrix(0), [], expected, 3, Activation.Relu);

        var arrays = new float[256][];
        var outputs = new float[256][];
        Parallel.For(0, 256, i =>
        {
            arrays[i] = blob.Floats(i % 8);
            Span<float> y = BufferArena.Rent(3 * 64);
            Kernels.Dense(x, blob.Matrix(i % 8), [], y, 3, Activation.Relu);
            outputs[i] = y.ToArray();
        });

        for (int i = 0; i < 256; i++)
        {
            Assert.Same(arrays[i % 8], arrays[i]);
            Assert.Equal(expected, outputs[i]);
        }

        Assert.Equal(blob.Matrix(3).Dequantize(), arrays[3]);
    }

    [Fact]
    public void Rent_ReturnsExactLength_AndGrows()
    {
        Assert.Equal(10, BufferArena.Rent(10).Length);
        Span<float> big = BufferArena.Rent(100_000);
        Assert.Equal(100_000, big.Length);
        Assert.Equal(0, BufferArena.Rent(0).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => BufferArena.Rent(-1));
    }

    [Fact]
    public void Rent_IsPerThread()
    {
        Span<float> mine = BufferArena.Rent(4);
        mine.Fill(1);
        var thread = new Thread(() => BufferArena.Rent(4).Fill(2));
        thread.Start();
        thread.Join();
        Assert.Equal([1f, 1f, 1f, 1f], BufferArena.Rent(4).ToArray());
    }

    [Fact]
    public void Rent_SameThread_ReusesMemory_NoAllocationOnHotPath()
    {
        BufferArena.Rent(1000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            BufferArena.Rent(1000)[0] = i;
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Kernels_DoNotAllocate()
    {
        (WeightMatrix w, _) = TestData.Matrix(new Random(2), WeightFormat.Int8Asymmetric, 32, 27);
        var s = new Conv2DShape(3, 12, 12, 32, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        float[] x = TestData.Floats(new Random(3), 2 * 3 * 144);
        var y = new float[2 * 32 * 144];
        var scratch = new float[Kernels.Conv2DScratch(s)];
        var dense = new float[2 * 32];
        int[] shape = [32, 12, 12], chan = [32, 1, 1], perm = [1, 2, 0];
        float[] bias = new float[32];
        var t = new float[y.Length];

        void Run()
        {
            Kernels.Conv2D(x, w, bias, y, scratch, s, 2, Activation.Relu);
            Kernels.Dense(x.AsSpan(0, 54), w, bias, dense, 2, Activation.None);
            Kernels.Unary(UnaryFunction.Gelu, y, y, 0, 0);
            Kernels.Binary(BinaryFunction.Add, y, shape, true, bias, chan, false, y, shape, 2);
            Kernels.Softmax(y, y, 64, 144, 1);
            Kernels.Transpose(y, t, shape, perm, 2);
            Kernels.MaxPool2D(y, t, new Pool2DShape(32, 12, 12, 6, 6, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0), 2);
            Kernels.GlobalAveragePool(y, dense, 64, 144);
        }

        SteadyState.AssertAllocatesNothing(Run);
    }
}
