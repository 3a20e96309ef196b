using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Slice, any element type, any steps (negative included), with starts/ends clamped as the spec says. Each
/// of starts, ends, axes and steps is either a constant list or an int64 value computed per call.
/// </summary>
/// <param name="X">Data.</param>
/// <param name="Y">Output.</param>
/// <param name="Starts">Constant starts (used when <paramref name="StartsValue"/> is -1).</param>
/// <param name="Ends">Constant ends.</param>
/// <param name="Axes">Constant axes; empty = 0…n−1.</param>
/// <param name="Steps">Constant steps; empty = all 1.</param>
/// <param name="StartsValue">Value id of computed starts, or -1.</param>
/// <param name="EndsValue">Value id of computed ends, or -1.</param>
/// <param name="AxesValue">Value id of computed axes, or -1.</param>
/// <param name="StepsValue">Value id of computed steps, or -1.</param>
public sealed record SliceOp(int X, int Y, long[] Starts, long[] Ends, long[] Axes, long[] Steps,
    int StartsValue, int EndsValue, int AxesValue, int StepsValue) : Op
{
    /// <inheritdoc/>
    // Constant starts, ends, axes and steps that leave axis 0 whole (or do not name it).
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
    {
        if (StartsValue >= 0 || EndsValue >= 0 || AxesValue >= 0 || StepsValue >= 0 || !flow.IsBatched(X))
        {
            return false;
        }

        for (int i = 0; i < Starts.Length; i++)
        {
            long axis = Axes.Length > 0 ? Axes[i] : i;
            if (!SampleFlow.IsInnerAxis(axis, flow.Rank(X))
                && (Starts[i] != 0 || Ends[i] < int.MaxValue || (Steps.Length > 0 && Steps[i] != 1)))
            {
                return false;
            }
        }

        return flow.Batched(Y);
    }

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var rank = xs.Length;
        var starts = StartsValue >= 0 ? c.Longs(StartsValue) : Starts;
        var ends = EndsValue >= 0 ? c.Longs(EndsValue) : Ends;
        var axes = AxesValue >= 0 ? c.Longs(AxesValue) : Axes;
        var steps = StepsValue >= 0 ? c.Longs(StepsValue) : Steps;
        if (ends.Length != starts.Length || (axes.Length != 0 && axes.Length != starts.Length) || (steps.Length != 0 && steps.Length != starts.Length)
            || rank > ShapeMath.MaxRank)
        {
            throw Fail("starts, ends, axes and steps must have the same length.");
        }

        Span<int> begin = stackalloc int[rank];
        Span<int> step = stackalloc int[rank];
        Span<int> ys = stackalloc int[rank];
        begin.Clear();
        Simd.Fill(step, 1);
        xs.CopyTo(ys);
        var seen = 0;
        for (var i = 0; i < starts.Length; i++)
        {
            var a = axes.Length == 0 ? i : axes[i];
            if (!ShapeMath.TryAxis(a, rank, out var axis) || (seen & (1 << axis)) != 0)
            {
                throw Fail($"axis {a} is outside the input {ShapeMath.Format(xs)} or repeated.");
            }

            seen |= 1 << axis;
            var s = steps.Length == 0 ? 1 : steps[i];
            if (s == 0)
            {
                throw Fail("a step is 0.");
            }

            var (b, count) = Range(starts[i], ends[i], s, xs[axis]);
            begin[axis] = b;
            step[axis] = (int)Math.Clamp(s, int.MinValue + 1, int.MaxValue);
            ys[axis] = count;
        }

        var size = c.ElementSize(X);
        var y = c.OutputBytes(Y, ys);
        var x = c.Bytes(X);
        Span<int> strides = stackalloc int[rank];
        var st = 1;
        for (var d = rank - 1; d >= 0; d--)
        {
            strides[d] = st;
            st *= xs[d];
        }

        // Contiguous runs: the last axis when its step is 1, and the axes before it as long as the axis after is taken
        // whole (a channel split of [N, C, H, W] copies one run per image instead of one element at a time).
        var inner = rank;
        long run = 1;
        if (rank > 0 && step[rank - 1] == 1)
        {
            inner = rank - 1;
            run = ys[rank - 1];
            while (inner > 0 && begin[inner] == 0 && ys[inner] == xs[inner] && step[inner - 1] == 1)
            {
                inner--;
                run *= ys[inner];
            }
        }

        var total = y.Length / Math.Max(1, size);
        if (total == 0 || run == 0)
        {
            return;
        }

        long first = inner < rank ? (long)begin[inner] * strides[inner] : 0;
        Span<int> index = stackalloc int[rank];
        index.Clear();
        var bytes = (int)(run * size);
        for (long o = 0; o < total; o += run)
        {
            long src = first;
            for (var d = 0; d < inner; d++)
            {
                src += (begin[d] + ((long)index[d] * step[d])) * strides[d];
            }

            x.Slice((int)(src * size), bytes).CopyTo(y.Slice((int)(o * size), bytes));
            for (var d = inner - 1; d >= 0 && ++index[d] == ys[d]; d--)
            {
                index[d] = 0;
            }
        }
    }

    /// <summary>The first index and the element count of one axis (ONNX Slice's clamping rules).</summary>
    private static (int Begin, int Count) Range(long start, long end, long step, int dim)
    {
        if (start < 0)
        {
            start += dim;
        }

        if (end < 0)
        {
            end += dim;
        }

        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
            return ((int)start, (int)Math.Max(0, (end - start + step - 1) / step));
        }

        start = Math.Clamp(start, 0, dim - 1);
        end = Math.Clamp(end, -1, dim - 1);
        return ((int)start, (int)Math.Max(0, (start - end + (-step) - 1) / -step));
    }
}
