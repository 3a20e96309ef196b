using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Convs writing their channels of a Concat's output in place (<see cref="ConvOp.ConcatChannels"/>, the planner's concat
/// elision): the same program with the Concat copying separate outputs is the reference. Every conv path is covered
/// (packed pointwise, blocked Winograd, im2col, phase planes, depthwise, 1-D), with batches of 1 and 3, one and two
/// threads, and the parts computed in either order; the shared storage first holds another call's values, so a part
/// that failed to write one of its outputs, or wrote past its channels, would show.
/// </summary>
public sealed class ConcatInPlaceTests
{
    public static TheoryData<string, int, int, bool> Cases()
    {
        var data = new TheoryData<string, int, int, bool>();
        foreach (var kind in new[] { "pointwise", "3x3 blocked winograd", "3x3 stride 2 im2col", "3x3 phase planes", "depthwise", "3x3 winograd or channel vectors", "1-D" })
        {
            foreach (int batch in new[] { 1, 3 })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    data.Add(kind, batch, threads, false);
                }
            }

            data.Add(kind, 3, 1, true);
            data.Add(kind, 1, 2, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convs_writing_their_channels_in_place_give_the_concat_of_their_outputs(string kind, int batch, int threads, bool reversed)
    {
        var (shape, first, second) = Parts(kind);
        int[] x1 = [batch, .. shape], x0 = [3, .. shape];
        var input = TestData.Floats(new Random(5), x1.Aggregate(1, (p, d) => p * d));
        var stale = TestData.Floats(new Random(6), x0.Aggregate(1, (p, d) => p * d));

        var expected = Run(kind, inPlace: false, reversed: false, threads, (stale, x0), (input, x1));
        var actual = Run(kind, inPlace: true, reversed, threads, (stale, x0), (input, x1));

        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(first.OC + second.OC, actual.Shape[1]);
        if (batch == 1)
        {
            // One image: the same kernels on a slice of the shared storage, so the same bits.
            Assert.Equal(expected.Values, actual.Values);
            return;
        }

        // Several images: a part runs them one at a time where the copying program may batch them (other bits).
        float scale = expected.Values.Max(MathF.Abs);
        for (int i = 0; i < expected.Values.Length; i++)
        {
            Assert.True(MathF.Abs(expected.Values[i] - actual.Values[i]) <= 1e-5f * scale, $"element {i}: {expected.Values[i]} vs {actual.Values[i]}");
        }
    }

    /// <summary>The thread count never changes the bits (README, "Intra-op threads"), in place or not.</summary>
    [Theory]
    [InlineData("3x3 winograd or channel vectors", 1)]
    [InlineData("3x3 winograd or channel vectors", 3)]
    [InlineData("3x3 blocked winograd", 3)]
    [InlineData("3x3 phase planes", 3)]
    public void One_and_two_threads_give_the_same_bits(string kind, int batch)
    {
        var (shape, _, _) = Parts(kind);
        int[] x1 = [batch, .. shape];
        var input = TestData.Floats(new Random(5), x1.Aggregate(1, (p, d) => p * d));
        foreach (bool inPlace in new[] { false, true })
        {
            var one = Run(kind, inPlace, reversed: false, threads: 1, (input, x1), (input, x1));
            var two = Run(kind, inPlace, reversed: false, threads: 2, (input, x1), (input, x1));
            Assert.Equal(one.Values, two.Values);
        }
    }

    [Theory]
    [InlineData("pointwise", 1)]
    [InlineData("pointwise", 3)]
    [InlineData("3x3 blocked winograd", 1)]
    [InlineData("3x3 blocked winograd", 3)]
    public void Steady_state_calls_allocate_nothing(string kind, int batch)
    {
        var (shape, first, second) = Parts(kind);
        int[] dims = [batch, .. shape];
        var h = new OpHarness();
        int x = h.Floats(TestData.Floats(new Random(5), dims.Aggregate(1, (p, d) => p * d)), dims);
        int y = h.Output();
        int a = h.Alias(y), b = h.Alias(y), total = first.OC + second.OC;
        var (program, context) = h.Prepare(
            Conv(h, x, a, first, seed: 1) with { ConcatChannels = total },
            Conv(h, x, b, second, seed: 2) with { ConcatOffset = first.OC, ConcatChannels = total },
            new ConcatOp([a, b], y, 1));
        SteadyState.AssertAllocatesNothing(() => program.Run(context), "the convs and the concat");
    }

    [Fact]
    public void A_batch_of_zero_gives_an_empty_output()
    {
        var input = (Array.Empty<float>(), new[] { 0, 16, 7, 7 });
        var actual = Run("pointwise", inPlace: true, reversed: false, threads: 1, input, input);
        Assert.Equal([0, 17, 7, 7], actual.Shape);
        Assert.Empty(actual.Values);
    }

    [Fact]
    public void A_part_outside_the_concat_channels_is_refused_with_the_node_name()
    {
        var h = new OpHarness();
        int x = h.Floats(TestData.Floats(new Random(1), 4 * 9), 1, 4, 3, 3);
        int y = h.Output();
        int a = h.Alias(y);
        var conv = Conv(h, x, a, new Spec(6, 4, 1, 1, 0, 1)) with { ConcatOffset = 3, ConcatChannels = 8, Node = "e1" };
        var e = Assert.Throws<ArgumentException>(() => h.Run(conv));
        Assert.Contains("'e1'", e.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 9) of a 8-channel concat output", e.Message, StringComparison.Ordinal);
    }

    /// <summary>One conv: output channels, input channels, kernel side, stride, pads, group.</summary>
    private sealed record Spec(int OC, int C, int K, int Stride, int Pad, int Group, bool OneD = false);

    private static (int[] Shape, Spec First, Spec Second) Parts(string kind) => kind switch
    {
        "pointwise" => ([16, 7, 7], new Spec(5, 16, 1, 1, 0, 1), new Spec(12, 16, 1, 1, 0, 1)),
        "3x3 blocked winograd" => ([16, 7, 7], new Spec(16, 16, 3, 1, 1, 1), new Spec(20, 16, 3, 1, 1, 1)),
        "3x3 stride 2 im2col" => ([3, 15, 15], new Spec(8, 3, 3, 2, 0, 1), new Spec(6, 3, 3, 2, 0, 1)),
        "3x3 phase planes" => ([4, 20, 20], new Spec(12, 4, 3, 1, 1, 1), new Spec(7, 4, 3, 1, 1, 1)),
        "depthwise" => ([8, 9, 9], new Spec(8, 8, 3, 1, 1, 8), new Spec(8, 8, 3, 1, 1, 8)),
        "3x3 winograd or channel vectors" => ([16, 8, 8], new Spec(16, 16, 3, 1, 1, 1), new Spec(16, 16, 3, 1, 1, 1)),
        _ => ([6, 30], new Spec(5, 6, 3, 1, 1, 1, OneD: true), new Spec(9, 6, 3, 1, 1, 1, OneD: true)),
    };

    /// <summary>Runs the two convs and the Concat on <paramref name="warmUp"/>, then on <paramref name="input"/>; returns the Concat's output.</summary>
    private static (int[] Shape, float[] Values) Run(string kind, bool inPlace, bool reversed, int threads, (float[] Data, int[] Shape) warmUp, (float[] Data, int[] Shape) input)
    {
        var (_, first, second) = Parts(kind);
        var h = new OpHarness();
        int x = h.Floats(warmUp.Data, warmUp.Shape);
        int y = h.Output();
        int a = inPlace ? h.Alias(y) : h.Output();
        int b = inPlace ? h.Alias(y) : h.Output();
        int total = first.OC + second.OC;
        var convA = Conv(h, x, a, first, seed: 1);
        var convB = Conv(h, x, b, second, seed: 2);
        if (inPlace)
        {
            convA = convA with { ConcatOffset = 0, ConcatChannels = total };
            convB = convB with { ConcatOffset = first.OC, ConcatChannels = total };
        }

        Op[] ops = reversed ? [convB, convA, new ConcatOp([a, b], y, 1)] : [convA, convB, new ConcatOp([a, b], y, 1)];
        var (program, context) = h.Prepare(ops);
        program.IntraOpThreads = threads;
        program.Run(context);
        context.SetInput<float>(x, input.Data, input.Shape);
        program.Run(context);
        return (context.Shape(y).ToArray(), context.Floats(y).ToArray());
    }

    private static ConvOp Conv(OpHarness h, int x, int y, Spec s, int seed = 0)
    {
        int k = s.C / s.Group * s.K * (s.OneD ? 1 : s.K);
        var rng = new Random(seed);
        int weight = h.BlobFloats(TestData.Floats(rng, s.OC * k), s.OC, k), bias = h.BlobFloats(TestData.Floats(rng, s.OC));
        return s.OneD
            ? new ConvOp(x, y, weight, bias, [s.K], [s.Stride], [1], [s.Pad, s.Pad], "NOTSET", s.Group, Activation.Relu)
            : new ConvOp(x, y, weight, bias, [s.K, s.K], [s.Stride, s.Stride], [1, 1], [s.Pad, s.Pad, s.Pad, s.Pad], "NOTSET", s.Group, Activation.Relu);
    }
}
