using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>The data-movement operators allocate nothing once a context has run at a shape (CONTRACTS §3).</summary>
public sealed class DataMovementAllocationTests
{
    [Fact]
    public void EveryDataMovementOp_RunsWithoutAllocating_AtARepeatedShape()
    {
        var h = new OpHarness();
        var x = h.Floats(TestData.Floats(new Random(1), 2 * 8 * 4 * 6), 2, 8, 4, 6);
        var ids = h.Longs([0, 3, 1, 2, 0, 1], 6);
        var shape = h.Longs([2, 8, 4, 6], 4);
        var cond = h.Bools([true, false, true, true], 4);
        var o = () => h.Output(TensorType.Float32);
        var l = () => h.Output(TensorType.Int64);
        var (padded, cos, range, expanded, tiled, s1, s2, d2s, s2d, gathered, gnd, scattered, snd, compressed, reversed, nz, hot, eye, size) =
            (o(), o(), l(), o(), o(), o(), o(), o(), o(), o(), o(), o(), o(), o(), o(), l(), o(), o(), l());
        var (uy, ui, uinv, ucnt) = (l(), l(), l(), l());
        var zero = h.ConstLongs([0], []);
        var one = h.ConstLongs([1], []);
        var twelve = h.ConstLongs([12], []);
        var gIdx = h.ConstLongs([1, 0, 3, 2], 1, 1, 4, 1);
        var ndIdx = h.ConstLongs([1, 2, 0, 7], 2, 2);
        var ndUpdates = h.Floats(TestData.Floats(new Random(2), 2 * 4 * 6), 2, 4, 6);
        var depth = h.ConstLongs([4], []);
        var values = h.ConstFloats([0f, 1f], 2);
        var lens = h.ConstLongs([3, 5], 2);
        var (program, context) = h.Prepare(
            new PadOp(x, padded, [0, 0, 1, 2, 0, 0, 2, 1], -1, [], -1, 0f, -1, PadMode.Reflect),
            new ConstantOfShapeOp(shape, cos, 1f, 0),
            new RangeOp(zero, twelve, one, range),
            new ExpandOp(x, expanded, [3, 1, 1, 1, 1], -1),
            new TileOp(x, tiled, [1, 2, 1, 3], -1),
            new SplitOp(x, [s1, s2], 1, [], -1),
            new DepthToSpaceOp(x, d2s, 2, false),
            new SpaceToDepthOp(x, s2d, 2),
            new GatherElementsOp(x, gIdx, gathered, 2),
            new GatherNDOp(x, ndIdx, gnd, 0),
            new ScatterElementsOp(x, gIdx, gathered, scattered, 2, ScatterReduction.Add),
            new ScatterNDOp(x, ndIdx, ndUpdates, snd, ScatterReduction.None),
            new CompressOp(x, cond, compressed, 2, false),
            new ReverseSequenceOp(x, lens, reversed, 0, 1),
            new NonZeroOp(ids, nz),
            new OneHotOp(ids, depth, values, hot, -1),
            new EyeLikeOp(ndIdx, eye, 1),
            new SizeOp(x, size),
            new UniqueOp(ids, uy, ui, uinv, ucnt, 0, true, true));
        program.Run(context);

        SteadyState.AssertAllocatesNothing(() => program.Run(context), "the ops");
        Assert.Equal([0L, 1, 2, 3], context.Longs(uy).ToArray());
    }
}
