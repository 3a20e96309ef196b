using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// A fixed-batch model run over more samples (<see cref="FixedBatchChunks"/>, what generated predictors call): each
/// chunk's output is the layer's value for its samples (float64 reference), and with 2 threads — chunks shared out,
/// the Dense inside each chunk big enough to split but run inline on the chunk's thread — the outputs are the same
/// bits as with one thread and a steady-state call allocates nothing.
/// </summary>
public sealed class FixedBatchChunksTests
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
        FixedBatchChunks.Run<float, float>(Run, 1, input, one, [Chunk, K], Batch, Chunk, K, N, y, "y");
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
            FixedBatchChunks.Run<float, float>(runner, 2, input, two, [Chunk, K], Batch, Chunk, K, N, y, "y");
            Assert.Equal(one, two);
        }

        SteadyState.AssertAllocatesNothing(() => FixedBatchChunks.Run<float, float>(runner, 2, input, two, [Chunk, K], Batch, Chunk, K, N, y, "y"), "a 2-thread chunked run");
    }
}
