using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// A fixed-batch model run over more samples (<see cref="BatchChunks.Fixed{TIn, TOut}"/>, what generated predictors call): each
/// chunk's output is the layer's value for its samples (float64 reference), and with 2 threads — chunks shared out,
/// the Dense inside each chunk big enough to split but run inline on the chunk's thread — the outputs are the same
/// bits as with one thread and a steady-state call allocates nothing.
/// </summary>
public sealed class BatchChunksTests
{
    private const int Chunk = 16, K = 256, N = 128, Batch = 8 * Chunk;

    [ThreadStatic]
    private static OpContext? t_context;

    [Fact]
    public void TwoThreads_SameBitsAsOne_MatchingFloat64_AndNoAllocation()
    {
        var rng = new Random(5);
        var h = new OpHarness();
        int x = h.Floats(new float[Chunk * K], Chunk, K);
        int y = h.Output();
        float[] weights = TestData.Floats(rng, N * K, -0.1f, 0.1f), bias = TestData.Floats(rng, N);
        int w = h.BlobFloats(weights, N, K);
        int b = h.BlobFloats(bias);
        (ModelProgram program, _) = h.Prepare(new DenseOp(x, y, w, b, Activation.None));
        Assert.True(IntraOp.Parts(2, 2.0 * Chunk * N * K, N / 16) > 1, "the Dense inside a chunk must be big enough to split for this test to mean anything");

        // What the generated …Program.Run does: this thread's context, the chunk's input, every op.
        OpContext Run(ReadOnlySpan<float> input, ReadOnlySpan<int> shape)
        {
            var context = t_context ??= new OpContext(program);
            context.SetInput(x, input, shape);
            program.Run(context);
            return context;
        }

        float[] input = TestData.Floats(rng, Batch * K);
        float[] one = new float[Batch * N], two = new float[Batch * N];
        BatchChunks.Fixed<float, float>(Run, 1, input, one, [Chunk, K], Batch, Chunk, K, N, y, "y");
        for (int s = 0; s < Batch; s++)
        {
            for (int n = 0; n < N; n++)
            {
                double expected = bias[n];
                for (int k = 0; k < K; k++)
                {
                    expected += (double)input[(s * K) + k] * weights[(n * K) + k];
                }

                // float32 sums of 256 products of magnitude ≤ 0.1: well inside 1e-4 absolute.
                Assert.True(Math.Abs(one[(s * N) + n] - expected) < 1e-4, $"sample {s} output {n}: {one[(s * N) + n]} vs {expected}");
            }
        }

        ChunkRunner<float> runner = Run;
        for (int i = 0; i < 20; i++)
        {
            Array.Clear(two);
            BatchChunks.Fixed<float, float>(runner, 2, input, two, [Chunk, K], Batch, Chunk, K, N, y, "y");
            Assert.Equal(one, two);
        }

        SteadyState.AssertAllocatesNothing(() => BatchChunks.Fixed<float, float>(runner, 2, input, two, [Chunk, K], Batch, Chunk, K, N, y, "y"), "a 2-thread chunked run");
    }

    /// <summary>
    /// An input read in place takes no arena memory, so the probe does not count it: the same budget holds more samples
    /// per chunk than with the input copied (3 samples' activations with the input, 4 without it), and the chunks still
    /// give the whole batch's outputs.
    /// </summary>
    [Fact]
    public void Dynamic_InputReadInPlace_IsNotCountedInTheChunkBudget()
    {
        var (program, runner, _, y) = ConvNet(mixing: false, inPlace: true);
        const int batch = 13, inPer = 4 * 6 * 6, outPer = 5;
        float[] input = TestData.Floats(new Random(8), batch * inPer);
        float[] whole = new float[batch * outPer], chunked = new float[batch * outPer];
        Assert.True(program.ReadsInPlace(program.Inputs[0]));

        program.BatchChunkBytes = 0;
        BatchChunks.Dynamic<float, float>(runner, program, input, whole, [batch, 4, 6, 6], batch, inPer, outPer, y, "y");
        program.BatchChunkBytes = 3 * SampleBytes;
        Assert.Equal(3 * SampleBytes / (SampleBytes - (inPer * sizeof(float))), program.ChunkSamples(runner, input, [batch, 4, 6, 6], inPer));

        BatchChunks.Dynamic<float, float>(runner, program, input, chunked, [batch, 4, 6, 6], batch, inPer, outPer, y, "y");
        for (int i = 0; i < whole.Length; i++)
        {
            Assert.True(Math.Abs(chunked[i] - whole[i]) <= 1e-5f * (1 + Math.Abs(whole[i])), $"output {i}: chunked {chunked[i]} vs whole {whole[i]}");
        }
    }

    /// <summary>
    /// A model that keeps samples apart, run over 13 samples with a budget of about 3 samples' activations: the chunks
    /// give the whole batch's outputs (to float32 rounding: the kernels differ by batch size), the same bits on 1 and 2
    /// threads, and no allocation in the steady state.
    /// </summary>
    [Fact]
    public void Dynamic_SamplesKeptApart_RunsInChunks_LikeTheWholeBatch()
    {
        var (program, runner, x, y) = ConvNet(mixing: false);
        const int batch = 13, inPer = 4 * 6 * 6, outPer = 5;
        float[] input = TestData.Floats(new Random(8), batch * inPer);
        float[] whole = new float[batch * outPer], one = new float[batch * outPer], two = new float[batch * outPer];

        program.BatchChunkBytes = 0;
        BatchChunks.Dynamic<float, float>(runner, program, input, whole, [batch, 4, 6, 6], batch, inPer, outPer, y, "y");
        program.BatchChunkBytes = 3 * SampleBytes;
        Assert.Equal(3, program.ChunkSamples(runner, input, [batch, 4, 6, 6], inPer));

        BatchChunks.Dynamic<float, float>(runner, program, input, one, [batch, 4, 6, 6], batch, inPer, outPer, y, "y");
        for (int i = 0; i < whole.Length; i++)
        {
            Assert.True(Math.Abs(one[i] - whole[i]) <= 1e-5f * (1 + Math.Abs(whole[i])), $"output {i}: chunked {one[i]} vs whole {whole[i]}");
        }

        program.IntraOpThreads = 2;
        for (int i = 0; i < 10; i++)
        {
            Array.Clear(two);
            BatchChunks.Dynamic<float, float>(runner, program, input, two, [batch, 4, 6, 6], batch, inPer, outPer, y, "y");
            Assert.Equal(one, two);
        }

        SteadyState.AssertAllocatesNothing(() => BatchChunks.Dynamic<float, float>(runner, program, input, two, [batch, 4, 6, 6], batch, inPer, outPer, y, "y"), "a 2-thread chunked run");
    }

    /// <summary>An odd batch cut into one sample per chunk: as many chunks as samples (rounding the count up to even would leave one empty).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Dynamic_OneSamplePerChunk_OddBatch_LikeTheWholeBatch(int batch)
    {
        var (program, runner, _, y) = ConvNet(mixing: false);
        const int inPer = 4 * 6 * 6, outPer = 5;
        float[] input = TestData.Floats(new Random(9), batch * inPer);
        float[] whole = new float[batch * outPer], chunked = new float[batch * outPer];
        program.BatchChunkBytes = 0;
        BatchChunks.Dynamic<float, float>(runner, program, input, whole, [batch, 4, 6, 6], batch, inPer, outPer, y, "y");
        // One sample's activations: one sample per chunk (the weights, ~1 KB, are below it, so chunks are allowed).
        program.BatchChunkBytes = SampleBytes;
        BatchChunks.Dynamic<float, float>(runner, program, input, chunked, [batch, 4, 6, 6], batch, inPer, outPer, y, "y");
        for (int i = 0; i < whole.Length; i++)
        {
            Assert.True(Math.Abs(chunked[i] - whole[i]) <= 1e-5f * (1 + Math.Abs(whole[i])), $"output {i}: chunked {chunked[i]} vs whole {whole[i]}");
        }
    }

    /// <summary>
    /// A declared-dynamic batch that only one size fits (a constant [8, 4] added to [N, 4]): the 2-sample probe fails,
    /// so the batch of 8 runs whole, on every call, as before chunks existed.
    /// </summary>
    [Fact]
    public void Dynamic_ProbeDoesNotFit_RunsWhole()
    {
        var h = new OpHarness();
        int x = h.Floats(new float[8 * 4], 8, 4);
        float[] constant = TestData.Floats(new Random(4), 8 * 4);
        int k = h.ConstFloats(constant, 8, 4);
        int y = h.Output();
        var (program, _) = h.Prepare(new BinaryOp(x, k, y, BinaryFunction.Add));
        var context = new OpContext(program);
        ChunkRunner<float> runner = (input, shape) =>
        {
            context.SetInput(x, input, shape);
            program.Run(context);
            return context;
        };
        float[] input = TestData.Floats(new Random(5), 8 * 4);
        float[] output = new float[8 * 4];
        for (int call = 0; call < 2; call++)
        {
            BatchChunks.Dynamic<float, float>(runner, program, input, output, [8, 4], 8, 4, 4, y, "y");
            Assert.Equal(input.Zip(constant, (a, b) => a + b), output);
        }
    }

    /// <summary>Weights above the budget: every chunk would stream them again, so the batch runs whole.</summary>
    [Fact]
    public void Dynamic_WeightsAboveTheBudget_RunsWhole()
    {
        var (program, runner, _, _) = ConvNet(mixing: false);
        float[] input = TestData.Floats(new Random(8), 4 * 4 * 6 * 6);
        program.BatchChunkBytes = SampleBytes;
        Assert.Equal(1, program.ChunkSamples(runner, input, [4, 4, 6, 6], 4 * 6 * 6));
        long weights = program.Blob.PayloadBytes;
        Assert.InRange(weights, 1000, SampleBytes);
        program.BatchChunkBytes = (int)weights - 1;
        Assert.Equal(0, program.ChunkSamples(runner, input, [4, 4, 6, 6], 4 * 6 * 6));
        program.BatchChunkBytes = (int)weights;
        Assert.Equal(1, program.ChunkSamples(runner, input, [4, 4, 6, 6], 4 * 6 * 6));
    }

    /// <summary>The same net with a softmax over the batch axis: SampleFlow says no, so any budget runs the batch whole.</summary>
    [Fact]
    public void Dynamic_SamplesMixed_RunsWhole()
    {
        var (program, runner, x, y) = ConvNet(mixing: true);
        const int batch = 13, inPer = 4 * 6 * 6, outPer = 5;
        float[] input = TestData.Floats(new Random(8), batch * inPer);
        float[] whole = new float[batch * outPer], small = new float[batch * outPer];
        program.BatchChunkBytes = 0;
        BatchChunks.Dynamic<float, float>(runner, program, input, whole, [batch, 4, 6, 6], batch, inPer, outPer, y, "y");
        program.BatchChunkBytes = 1;
        Assert.Equal(0, program.ChunkSamples(runner, input, [batch, 4, 6, 6], inPer));
        BatchChunks.Dynamic<float, float>(runner, program, input, small, [batch, 4, 6, 6], batch, inPer, outPer, y, "y");
        Assert.Equal(whole, small);

        // What chunks would have given: a softmax over 13 samples is not one over 2, so the check above can fail.
        float[] pair = new float[2 * outPer];
        Predictors.CopyExact(runner(input.AsSpan(0, 2 * inPer), [2, 4, 6, 6]), y, pair, "y");
        Assert.True(Math.Abs(pair[0] - whole[0]) > 1e-3f, "a 2-sample softmax over the batch must differ from the 13-sample one");
    }

    // ConvNet's live activation bytes per sample: the harness gives every value its own slot (the input, the conv's
    // output and four small ones).
    private const int SampleBytes = ((4 * 6 * 6) + (6 * 6 * 6) + 6 + 6 + 5 + 5) * sizeof(float);

    /// <summary>Conv 4 → 6 (3×3, ReLU) on 6×6, GlobalAveragePool, Reshape [0, -1], Dense 6 → 5, Softmax over axis 1 (or 0).</summary>
    private static (ModelProgram Program, ChunkRunner<float> Runner, int X, int Y) ConvNet(bool mixing, bool inPlace = false)
    {
        var rng = new Random(6);
        var h = new OpHarness();
        int x = h.Floats(new float[4 * 6 * 6], 1, 4, 6, 6);
        int c = h.Output(), p = h.Output(), f = h.Output(), d = h.Output(), y = h.Output();
        var ops = new Op[]
        {
            new ConvOp(x, c, h.BlobFloats(TestData.Floats(rng, 6 * 36, -0.3f, 0.3f), 6, 36), h.BlobFloats(TestData.Floats(rng, 6)), [3, 3], [1, 1], [1, 1], [1, 1, 1, 1], "NOTSET", 1, Activation.Relu),
            new GlobalAveragePoolOp(c, p),
            new ReshapeOp(p, f, -1, [0, -1], false), // fails on an empty chunk: 0 elements leave the -1 open
            new DenseOp(f, d, h.BlobFloats(TestData.Floats(rng, 5 * 6), 5, 6), h.BlobFloats(TestData.Floats(rng, 5)), Activation.None),
            new SoftmaxOp(d, y, mixing ? 0 : 1, false),
        };
        var (program, _) = h.Prepare(ops);
        var contexts = new ThreadLocal<OpContext>(() => new OpContext(program));
        ChunkRunner<float> runner = (input, shape) =>
        {
            var context = contexts.Value!;
            if (inPlace)
            {
                Predictors.Run(program, context, x, input, shape); // as the generated …Program.Run does
            }
            else
            {
                context.SetInput(x, input, shape);
                program.Run(context);
            }

            return context;
        };
        return (program, runner, x, y);
    }
}
