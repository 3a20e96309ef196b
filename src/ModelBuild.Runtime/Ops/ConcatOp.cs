using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX Concat along any axis, any element type; operands may be constants.</summary>
/// <param name="Inputs">The operand values, in order.</param>
/// <param name="Y">Output.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
public sealed record ConcatOp(int[] Inputs, int Y, int Axis) : Op
{
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
        var offset = 0;
        foreach (var input in Inputs)
        {
            var x = c.Bytes(input);
            var chunk = c.Shape(input)[axis] * inner;
            for (var o = 0; o < outer; o++)
            {
                x.Slice(o * chunk, chunk).CopyTo(y.Slice((o * row) + offset, chunk));
            }

            offset += chunk;
        }
    }
}
