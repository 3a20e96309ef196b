using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Concat along any axis, any element type; operands may be constants. An input that shares the output's storage
/// was written in place by its producer (a Conv's <c>ConcatChannels</c>, arranged by the planner) and is not copied.
/// </summary>
/// <param name="Inputs">The operand values, in order.</param>
/// <param name="Y">Output.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
public sealed record ConcatOp(int[] Inputs, int Y, int Axis) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => SampleFlow.IsInnerAxis(Axis, flow.Rank(Y)) && Array.TrueForAll(Inputs, flow.IsBatched) && flow.Batched(Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        if (Inputs.Length == 0)
        {
            throw Fail("has no inputs.");
        }

        var first = c.Shape(Inputs[0]);
        var rank = first.Length;
        if (!ShapeMath.TryAxis(Axis, rank, out var axis))
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(first)}.");
        }

        Span<int> ys = stackalloc int[rank];
        first.CopyTo(ys);
        ys[axis] = 0;
        foreach (var input in Inputs)
        {
            var s = c.Shape(input);
            for (var d = 0; d < rank; d++)
            {
                if (s.Length != rank || (d != axis && s[d] != first[d]))
                {
                    throw Fail($"the inputs {ShapeMath.Format(first)} and {ShapeMath.Format(s)} differ outside axis {axis}.");
                }
            }

            ys[axis] += s[axis];
        }

        var size = c.ElementSize(Y);
        var y = c.OutputBytes(Y, ys);
        var outer = ShapeMath.Product(ys[..axis]);
        var inner = ShapeMath.Product(ys[(axis + 1)..]) * size;
        var row = ys[axis] * inner;
        if (c.Program.IntraOpThreads > 1 && outer > 1 && Inputs.Length <= BatchParallel.MaxConcatInputs && !AnyInPlace(c))
        {
            ConcatRows(c, y, outer, inner, axis);
            return;
        }

        var offset = 0;
        foreach (var input in Inputs)
        {
            var chunk = c.Shape(input)[axis] * inner;
            if (c.SameStorage(input, Y))
            {
                offset += chunk;
                continue;
            }

            var x = c.Bytes(input);
            for (var o = 0; o < outer; o++)
            {
                x.Slice(o * chunk, chunk).CopyTo(y.Slice((o * row) + offset, chunk));
            }

            offset += chunk;
        }
    }

    // A loop, not Array.Exists: its lambda would capture c and allocate on every call.
    private bool AnyInPlace(OpContext c)
    {
        foreach (var input in Inputs)
        {
            if (c.SameStorage(input, Y))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The same copies with the rows shared out over the program's threads (<see cref="BatchParallel.Concat"/>).</summary>
    private unsafe void ConcatRows(OpContext c, Span<byte> y, int outer, int inner, int axis)
    {
        Span<nint> inputs = stackalloc nint[BatchParallel.MaxConcatInputs];
        Span<int> chunks = stackalloc int[BatchParallel.MaxConcatInputs];
        var n = Inputs.Length;
        for (var i = 0; i < n; i++)
        {
            chunks[i] = c.Shape(Inputs[i])[axis] * inner;
        }

        // Pinned for the call: helpers read through the pointers.
        fixed (byte* p0 = c.Bytes(Inputs[0]), p1 = n > 1 ? c.Bytes(Inputs[1]) : default, p2 = n > 2 ? c.Bytes(Inputs[2]) : default,
            p3 = n > 3 ? c.Bytes(Inputs[3]) : default, py = y)
        {
            inputs[0] = (nint)p0;
            inputs[1] = (nint)p1;
            inputs[2] = (nint)p2;
            inputs[3] = (nint)p3;
            BatchParallel.Concat(inputs[..n], chunks[..n], py, outer, c.Program.IntraOpThreads);
        }
    }
}
