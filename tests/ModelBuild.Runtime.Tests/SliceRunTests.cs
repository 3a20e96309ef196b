using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="SliceOp"/> copies contiguous runs (the last axis at step 1, merged with the axes before it while the axis
/// after is taken whole): every case is compared with an element-by-element reference of ONNX Slice (operator spec:
/// clamped starts/ends, negative indices and steps).
/// </summary>
public sealed class SliceRunTests
{
    public static TheoryData<int[], long[], long[], long[], long[]> Cases() => new()
    {
        { [2, 3, 4, 5], [0], [2], [1], [1] },                     // channel split: one run per image
        { [2, 3, 4, 5], [1], [3], [1], [1] },                     // a run that starts inside the axis
        { [2, 3, 4, 5], [0, 1], [2, 3], [0, 2], [1, 1] },         // a partial middle axis: runs of one row
        { [2, 3, 4, 5], [1], [4], [3], [1] },                     // the last axis partial
        { [2, 3, 4, 5], [0], [5], [3], [2] },                     // the last axis strided: no runs
        { [2, 3, 4, 5], [-1], [-4], [1], [-1] },                  // a negative step on a middle axis
        { [2, 3, 4, 5], [0, 0, 0], [2, 3, 4], [0, 1, 2], [1, 1, 1] }, // everything whole: one run
        { [2, 3, 4, 5], [0], [0], [2], [1] },                     // empty
        { [7], [2], [6], [0], [1] },                              // rank 1
        { [3, 1, 6], [1, 1], [3, 5], [0, 2], [1, 2] },            // strided last axis with a partial first
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Slice_EqualsTheElementwiseDefinition(int[] shape, long[] starts, long[] ends, long[] axes, long[] steps)
    {
        float[] x = [.. Enumerable.Range(0, shape.Aggregate(1, (a, d) => a * d)).Select(i => (float)i)];
        var context = OpHarness.RunSingle(new SliceOp(0, 1, starts, ends, axes, steps, -1, -1, -1, -1), x, shape, TensorType.Float32);
        (int[] expectedShape, float[] expected) = Reference(x, shape, starts, ends, axes, steps);
        Assert.Equal(expectedShape, context.Shape(1).ToArray());
        Assert.Equal(expected, context.Floats(1).ToArray());
    }

    private static (int[] Shape, float[] Values) Reference(float[] x, int[] shape, long[] starts, long[] ends, long[] axes, long[] steps)
    {
        int rank = shape.Length;
        var picks = Enumerable.Range(0, rank).Select(d => Enumerable.Range(0, shape[d]).ToList()).ToArray();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]), dim = shape[axis];
            long step = steps[i], start = starts[i] < 0 ? starts[i] + dim : starts[i], end = ends[i] < 0 ? ends[i] + dim : ends[i];
            var taken = new List<int>();
            if (step > 0)
            {
                for (long j = Math.Clamp(start, 0, dim); j < Math.Clamp(end, 0, dim); j += step)
                {
                    taken.Add((int)j);
                }
            }
            else
            {
                for (long j = Math.Clamp(start, 0, dim - 1); j > Math.Clamp(end, -1, dim - 1); j += step)
                {
                    taken.Add((int)j);
                }
            }

            picks[axis] = taken;
        }

        int[] outShape = [.. picks.Select(p => p.Count)];
        var values = new List<float>();
        void Walk(int d, int offset)
        {
            if (d == rank)
            {
                values.Add(x[offset]);
                return;
            }

            int stride = shape.Skip(d + 1).Aggregate(1, (a, b) => a * b);
            foreach (int j in picks[d])
            {
                Walk(d + 1, offset + (j * stride));
            }
        }

        Walk(0, 0);
        return (outShape, [.. values]);
    }
}
