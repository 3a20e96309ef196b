using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

public sealed class PadTests
{
    public static TheoryData<int[], long[], PadMode> Cases() => new()
    {
        { [3, 4], [0, 2, 0, 1], PadMode.Constant },
        { [3, 4], [1, 2, 2, 3], PadMode.Reflect },
        { [3, 4], [2, 3, 1, 0], PadMode.Edge },
        { [3, 4], [2, 5, 3, 6], PadMode.Wrap },
        { [2, 3, 17], [0, 1, 3, 1, 0, 4], PadMode.Constant },  // odd row length
        { [2, 3, 17], [1, 0, 5, 0, 2, 7], PadMode.Reflect },
        { [2, 3, 5], [-1, 0, -2, 0, 1, 1], PadMode.Constant }, // negative pads crop
        { [2, 3, 5], [0, -1, 2, 1, -1, -3], PadMode.Edge },
        { [4, 3], [0, 7, 0, 8], PadMode.Reflect },              // pads longer than the axis: numpy keeps reflecting
        { [4, 3], [5, 7, 9, 8], PadMode.Wrap },
        { [1, 1], [2, 2, 2, 2], PadMode.Reflect },              // a dim of 1 reflects onto itself
        { [7], [3, 9], PadMode.Edge },
        { [2, 3], [0, -3, 0, 1], PadMode.Constant },            // all columns cropped, then one padded
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pad_MatchesNumpy_ForFloats(int[] shape, long[] pads, PadMode mode)
    {
        var x = TestData.Floats(new Random(shape.Sum()), Nd.Count(shape));
        var h = new OpHarness();
        var xi = h.Floats(x, shape);
        var y = h.Output(TensorType.Float32);
        var c = h.Run(new PadOp(xi, y, pads, -1, [], -1, 2.5f, -1, mode));

        var (expected, ys) = Reference(shape, pads, mode, i => x[i], 2.5f);
        Assert.Equal(ys, c.Shape(y).ToArray());
        Assert.Equal(expected, c.Floats(y).ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pad_MatchesNumpy_ForInt64AndBool_WithComputedPads(int[] shape, long[] pads, PadMode mode)
    {
        var rng = new Random(shape.Length);
        var xl = Nd.Longs(rng, Nd.Count(shape), int.MinValue, int.MaxValue);
        var xb = Nd.Bools(rng, Nd.Count(shape));
        var h = new OpHarness();
        var li = h.Longs(xl, shape);
        var bi = h.Bools(xb, shape);
        var padsValue = h.Longs(pads, pads.Length);
        var fillLong = h.ConstLongs([long.MaxValue - 3], []);
        var fillBool = h.Bools([true], []);
        var yl = h.Output(TensorType.Int64);
        var yb = h.Output(TensorType.Bool);
        var c = h.Run(
            new PadOp(li, yl, [], padsValue, [], -1, 0f, fillLong, mode),
            new PadOp(bi, yb, [], padsValue, [], -1, 0f, fillBool, mode));

        Assert.Equal(Reference(shape, pads, mode, i => xl[i], long.MaxValue - 3).Values, c.Longs(yl).ToArray());
        Assert.Equal(Reference(shape, pads, mode, i => xb[i], true).Values, c.Bools(yb).ToArray());
    }

    [Fact]
    public void Pad_WithAxes_PadsOnlyThoseAxes_AndNegativeAxesCount()
    {
        int[] shape = [2, 3, 4];
        var x = TestData.Floats(new Random(3), 24);
        var h = new OpHarness();
        var xi = h.Floats(x, shape);
        var axes = h.ConstLongs([-1, 1], 2);
        var y = h.Output(TensorType.Float32);
        var c = h.Run(new PadOp(xi, y, [1, 2, 3, 0], -1, [], axes, 0f, -1, PadMode.Reflect));

        // axes [-1, 1] with pads [1, 2, 3, 0] = begin (last 1, axis1 2), end (last 3, axis1 0).
        var (expected, ys) = Reference(shape, [0, 2, 1, 0, 0, 3], PadMode.Reflect, i => x[i], 0f);
        Assert.Equal(ys, c.Shape(y).ToArray());
        Assert.Equal(expected, c.Floats(y).ToArray());
    }

    [Fact]
    public void Pad_RejectsPadsOfTheWrongLength_AndCropsBelowZero()
    {
        var h = new OpHarness();
        var xi = h.Floats(new float[6], 2, 3);
        var y = h.Output(TensorType.Float32);
        Assert.Throws<ArgumentException>(() => h.Run(new PadOp(xi, y, [1, 1], -1, [], -1, 0f, -1, PadMode.Constant)));
        Assert.Throws<ArgumentException>(() => h.Run(new PadOp(xi, y, [0, -2, 0, -2], -1, [], -1, 0f, -1, PadMode.Constant)));
    }

    /// <summary>numpy.pad semantics, element by element (reflection and wrap unrolled step by step).</summary>
    private static (T[] Values, int[] Shape) Reference<T>(int[] xs, long[] pads, PadMode mode, Func<int, T> x, T fill)
    {
        var rank = xs.Length;
        var ys = xs.Select((d, i) => (int)(d + pads[i] + pads[i + rank])).ToArray();
        var y = new T[Nd.Count(ys)];
        for (var o = 0; o < y.Length; o++)
        {
            var index = Nd.Unravel(o, ys);
            var inside = true;
            for (var d = 0; d < rank; d++)
            {
                var i = index[d] - (int)pads[d];
                var n = xs[d];
                if (i < 0 || i >= n)
                {
                    switch (mode)
                    {
                        case PadMode.Constant:
                            inside = false;
                            break;
                        case PadMode.Edge:
                            i = Math.Clamp(i, 0, n - 1);
                            break;
                        case PadMode.Wrap:
                            while (i < 0) { i += n; }
                            while (i >= n) { i -= n; }
                            break;
                        default:
                            while (n > 1 && (i < 0 || i >= n))
                            {
                                i = i < 0 ? -i : (2 * (n - 1)) - i;
                            }

                            i = n == 1 ? 0 : i;
                            break;
                    }
                }

                index[d] = i;
            }

            y[o] = inside ? x(Nd.Ravel(index, xs)) : fill;
        }

        return (y, ys);
    }
}
