using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="SampleFlow"/>: which programs keep the samples of a batch apart (and so may run in chunks). Each
/// rejected case is one that would give a chunk different numbers than the whole batch: an operator that reduces,
/// normalises, concatenates or permutes along axis 0, a reshape that folds samples together, a constant shaped for one
/// batch size, statistics taken over the whole call.
/// </summary>
public sealed class SampleFlowTests
{
    private const int C = 4, H = 5, W = 5;

    public static TheoryData<string> KeptApart => new()
    {
        "conv, pool, flatten, dense, softmax",
        "fire: two convs concatenated on channels",
        "per-channel constant added and multiplied",
        "attention-like batched matmul",
        "transpose, slice and reduce inside a sample",
        "layer norm over the last axis, squeeze and unsqueeze inner axes",
    };

    public static TheoryData<string> Mixed => new()
    {
        "softmax over axis 0",
        "concat along axis 0",
        "reshape folding the batch into one row",
        "reshape to a fixed first dim",
        "transpose moving axis 0",
        "2-D matmul summing over the samples",
        "constant with a first dim equal to the batch",
        "reduce over axis 0",
        "reduce over all axes",
        "squeeze without axes",
        "gather along axis 0",
        "conv with dynamic int8 input quantization",
        "max pool with indices",
        "shape of a batched tensor",
    };

    [Theory]
    [MemberData(nameof(KeptApart))]
    public void ProgramsThatKeepSamplesApart_Hold(string name) => Assert.True(Holds(Build(name)), name);

    [Theory]
    [MemberData(nameof(Mixed))]
    public void ProgramsThatMixSamples_DoNotHold(string name) => Assert.False(Holds(Build(name)), name);

    /// <summary>Builds a program on an input <c>[2, C, H, W]</c> (the probe's batch), runs it and asks SampleFlow.</summary>
    private static bool Holds(Func<OpHarness, int, Op[]> build)
    {
        var h = new OpHarness();
        int x = h.Floats(TestData.Floats(new Random(3), SampleFlow.ProbeBatch * C * H * W), SampleFlow.ProbeBatch, C, H, W);
        var (program, context) = h.Prepare(build(h, x));
        program.Run(context);
        return SampleFlow.Holds(program, context);
    }

    private static ConvOp Conv(OpHarness h, int x, int y, int oc = 6) =>
        new(x, y, h.BlobFloats(TestData.Floats(new Random(1), oc * C * 9), oc, C * 9), h.BlobFloats(new float[oc]), [3, 3], [1, 1], [1, 1], [1, 1, 1, 1], "NOTSET", 1, Activation.Relu);

    private static Func<OpHarness, int, Op[]> Build(string name) => name switch
    {
        "conv, pool, flatten, dense, softmax" => (h, x) =>
        {
            int c = h.Output(), p = h.Output(), f = h.Output(), d = h.Output(), s = h.Output();
            return [Conv(h, x, c), new GlobalAveragePoolOp(c, p), new FlattenOp(p, f, 1),
                new DenseOp(f, d, h.BlobFloats(TestData.Floats(new Random(2), 3 * 6), 3, 6), -1, Activation.None), new SoftmaxOp(d, s, -1, false)];
        },
        "fire: two convs concatenated on channels" => (h, x) =>
        {
            int a = h.Output(), b = h.Output(), y = h.Output();
            return [Conv(h, x, a), Conv(h, x, b, 3), new ConcatOp([a, b], y, 1)];
        },
        "per-channel constant added and multiplied" => (h, x) =>
        {
            int k = h.ConstFloats([1, 2, 3, 4], 1, C, 1, 1), v = h.ConstFloats([0.5f], 1), a = h.Output(), y = h.Output();
            return [new BinaryOp(x, k, a, BinaryFunction.Add), new BinaryOp(v, a, y, BinaryFunction.Mul)];
        },
        "attention-like batched matmul" => (h, x) =>
        {
            int r = h.Output(), t = h.Output(), y = h.Output();
            return [new ReshapeOp(x, r, -1, [0, C, H * W], false), new TransposeOp(r, t, [0, 2, 1]), new MatMulOp(r, t, y)];
        },
        "transpose, slice and reduce inside a sample" => (h, x) =>
        {
            int t = h.Output(), s = h.Output(), y = h.Output();
            return [new TransposeOp(x, t, [0, 2, 3, 1]), new SliceOp(t, s, [0, 1], [long.MaxValue, 3], [0, 1], [], -1, -1, -1, -1),
                new ReduceOp(s, y, ReduceFunction.Mean, [2, -1], false, false)];
        },
        "layer norm over the last axis, squeeze and unsqueeze inner axes" => (h, x) =>
        {
            int n = h.Output(), u = h.Output(), y = h.Output();
            return [new LayerNormOp(x, -1, -1, n, -1, -1, -1, 1e-5f), new UnsqueezeOp(n, u, [2]), new SqueezeOp(u, y, [-3])];
        },
        "softmax over axis 0" => (h, x) => [new SoftmaxOp(x, h.Output(), 0, false)],
        "concat along axis 0" => (h, x) => [new ConcatOp([x, x], h.Output(), -4)],
        "reshape folding the batch into one row" => (h, x) => [new ReshapeOp(x, h.Output(), -1, [1, -1], false)],
        "reshape to a fixed first dim" => (h, x) => [new ReshapeOp(x, h.Output(), -1, [2, -1], false)],
        "transpose moving axis 0" => (h, x) => [new TransposeOp(x, h.Output(), [1, 0, 2, 3])],
        "2-D matmul summing over the samples" => (h, x) =>
        {
            int r = h.Output();
            return [new ReshapeOp(x, r, -1, [-1, C * H * W], false),
                new MatMulOp(h.ConstFloats(new float[3 * SampleFlow.ProbeBatch], 3, SampleFlow.ProbeBatch), r, h.Output())];
        },
        "constant with a first dim equal to the batch" => (h, x) =>
            [new BinaryOp(x, h.ConstFloats(new float[SampleFlow.ProbeBatch * C], SampleFlow.ProbeBatch, C, 1, 1), h.Output(), BinaryFunction.Add)],
        "reduce over axis 0" => (h, x) => [new ReduceOp(x, h.Output(), ReduceFunction.Sum, [0], true, false)],
        "reduce over all axes" => (h, x) => [new ReduceOp(x, h.Output(), ReduceFunction.Sum, [], true, false)],
        "squeeze without axes" => (h, x) =>
        {
            int p = h.Output();
            return [new GlobalAveragePoolOp(x, p), new SqueezeOp(p, h.Output(), [])];
        },
        "gather along axis 0" => (h, x) => [new GatherOp(x, h.ConstLongs([1, 0], 2), h.Output(), 0)],
        "conv with dynamic int8 input quantization" => (h, x) =>
            [new QuantizedConvOp(x, h.Output(), h.BlobEntry(new BlobEntrySpec("w", WeightFormat.Int8, [6, C * 9], BlobWriter.Int8([.. Enumerable.Repeat(0.01f, 6)], new sbyte[6 * C * 9]))),
                -1, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1], "NOTSET", 1, Activation.None, 0, 0)],
        "max pool with indices" => (h, x) =>
            [new PoolOp(x, h.Output(), h.Output(TensorType.Int64), true, [2, 2], [2, 2], [1, 1], [0, 0, 0, 0], "NOTSET", false, false, false)],
        "shape of a batched tensor" => (h, x) => [new ShapeOp(x, h.Output(TensorType.Int64), 0, int.MaxValue)],
        _ => throw new ArgumentException(name),
    };
}
