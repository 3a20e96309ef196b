using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Sum, Mean, Max and Min over any number (≥ 1) of inputs, all broadcast together (numpy rules). The output
/// is accumulated left to right, <c>y = f(f(x0, x1), x2)…</c>, which is what a chain of two-input ops computes;
/// Mean divides the sum by the input count at the end (as ONNX's reference does). Float32 uses the SIMD binary
/// kernel; int64 (Sum, Max, Min) a scalar loop.
/// </summary>
/// <param name="Inputs">The operands, all float32 or all int64.</param>
/// <param name="Y">Output, the broadcast shape of all inputs.</param>
/// <param name="Function">The reduction.</param>
public sealed record VariadicOp(int[] Inputs, int Y, VariadicFunction Function) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => Array.Exists(Inputs, flow.IsBatched) && Array.TrueForAll(Inputs, v => flow.IsElementwiseOperand(v, flow.Rank(Y))) && flow.Batched(Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        if (Inputs.Length == 0)
        {
            throw Fail("no inputs.");
        }

        Span<int> shape = stackalloc int[ShapeMath.MaxRank];
        Span<int> next = stackalloc int[ShapeMath.MaxRank];
        var rank = 0;
        foreach (var input in Inputs)
        {
            var s = c.Shape(input);
            if (s.Length > ShapeMath.MaxRank)
            {
                throw Fail($"rank {s.Length} exceeds {ShapeMath.MaxRank}.");
            }

            var r = Math.Max(rank, s.Length);
            if (!ShapeMath.TryBroadcast(shape[..rank], s, next[..r]))
            {
                throw Fail($"the input shape {ShapeMath.Format(s)} does not broadcast to {ShapeMath.Format(shape[..rank])}.");
            }

            rank = r;
            next[..rank].CopyTo(shape);
        }

        var ys = shape[..rank];
        if (c.TypeOf(Y) == TensorType.Float32)
        {
            RunFloats(c, ys);
        }
        else
        {
            RunLongs(c, ys);
        }
    }

    private BinaryFunction Step => Function switch
    {
        VariadicFunction.Max => BinaryFunction.Max,
        VariadicFunction.Min => BinaryFunction.Min,
        _ => BinaryFunction.Add,
    };

    private void RunFloats(OpContext c, ReadOnlySpan<int> ys)
    {
        var y = c.OutputFloats(Y, ys);
        if (y.Length == 0)
        {
            return;
        }

        Span<int> pa = stackalloc int[ys.Length];
        Span<int> pb = stackalloc int[ys.Length];
        ShapeMath.PadLeft(c.Shape(Inputs[0]), pa);
        if (Inputs.Length == 1)
        {
            c.Floats(Inputs[0]).CopyTo(y);
        }
        else
        {
            // The first step already writes the full output shape: every operand dim is 1 or the output's.
            ShapeMath.PadLeft(c.Shape(Inputs[1]), pb);
            Kernels.Binary(Step, c.Floats(Inputs[0]), pa, true, c.Floats(Inputs[1]), pb, true, y, ys, 1);
            for (var i = 2; i < Inputs.Length; i++)
            {
                ShapeMath.PadLeft(c.Shape(Inputs[i]), pb);
                Kernels.Binary(Step, y, ys, true, c.Floats(Inputs[i]), pb, true, y, ys, 1);
            }
        }

        if (Function == VariadicFunction.Mean)
        {
            float count = Inputs.Length;
            for (var i = 0; i < y.Length; i++)
            {
                y[i] /= count;
            }
        }
    }

    private void RunLongs(OpContext c, ReadOnlySpan<int> ys)
    {
        if (Function == VariadicFunction.Mean)
        {
            throw Fail("Mean of int64 tensors.");
        }

        var y = c.OutputLongs(Y, ys);
        Span<int> pa = stackalloc int[ys.Length];
        Span<int> pb = stackalloc int[ys.Length];
        ShapeMath.PadLeft(c.Shape(Inputs[0]), pa);
        if (Inputs.Length == 1)
        {
            c.Longs(Inputs[0]).CopyTo(y);
            return;
        }

        ShapeMath.PadLeft(c.Shape(Inputs[1]), pb);
        Broadcasting.Run(c.Longs(Inputs[0]), pa, c.Longs(Inputs[1]), pb, y, ys, Step, this);
        for (var i = 2; i < Inputs.Length; i++)
        {
            ShapeMath.PadLeft(c.Shape(Inputs[i]), pb);
            Broadcasting.Run(y, ys, c.Longs(Inputs[i]), pb, y, ys, Step, this);
        }
    }
}
