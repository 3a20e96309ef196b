using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Split, any element type: cuts the input along <paramref name="Axis"/> into <c>Outputs.Length</c> parts of
/// the given sizes, or, without sizes, into equal parts of <c>ceil(dim / n)</c> with a smaller last part
/// (opset 18's <c>num_outputs</c> rule, which equals the older equal split whenever that one is defined).
/// </summary>
/// <param name="X">Input.</param>
/// <param name="Outputs">The output values, in order.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
/// <param name="Sizes">Constant part sizes (used when <paramref name="SizesValue"/> is -1); empty = equal parts.</param>
/// <param name="SizesValue">Value id of computed int64 sizes, or -1.</param>
public sealed record SplitOp(int X, int[] Outputs, int Axis, long[] Sizes, int SizesValue) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
    {
        if (SizesValue >= 0 || !SampleFlow.IsInnerAxis(Axis, flow.Rank(X)) || !flow.IsBatched(X))
        {
            return false;
        }

        foreach (var output in Outputs)
        {
            flow.Batched(output);
        }

        return true;
    }

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var rank = xs.Length;
        if (!ShapeMath.TryAxis(Axis, rank, out var axis) || rank > ShapeMath.MaxRank)
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        var sizes = Strides.Operand(c, SizesValue, Sizes);
        var parts = Outputs.Length;
        var dim = xs[axis];
        if (sizes.Length != 0)
        {
            long total = 0;
            foreach (var s in sizes)
            {
                total += s >= 0 ? s : throw Fail($"a split size is {s}.");
            }

            if (sizes.Length != parts || total != dim)
            {
                throw Fail($"split sizes of {sizes.Length} parts totalling {total} for {parts} outputs and axis {axis} of the input {ShapeMath.Format(xs)}.");
            }
        }

        var chunk = parts == 0 ? 0 : (dim + parts - 1) / parts;
        var size = c.ElementSize(X);
        var outer = ShapeMath.Product(xs[..axis]);
        var inner = ShapeMath.Product(xs[(axis + 1)..]) * size;
        var row = dim * inner;
        Span<int> ys = stackalloc int[rank];
        xs.CopyTo(ys);
        var offset = 0;
        for (var p = 0; p < parts; p++)
        {
            var n = sizes.Length != 0 ? (int)sizes[p] : Math.Clamp(dim - (p * chunk), 0, chunk);
            ys[axis] = n;
            var y = c.OutputBytes(Outputs[p], ys);
            var x = c.Bytes(X);
            var bytes = n * inner;
            for (var o = 0; o < outer; o++)
            {
                x.Slice((o * row) + offset, bytes).CopyTo(y.Slice(o * bytes, bytes));
            }

            offset += bytes;
        }
    }
}
