using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Pad (opsets 2–21), any element type: <c>pads = [x1_begin, x2_begin, …, x1_end, x2_end, …]</c> over
/// <c>axes</c> (default all); negative pads crop. Output dim d = <c>x[d] + begin[d] + end[d]</c>. Output element at
/// coordinate o reads input coordinate <c>o − begin</c>, mapped back into range by <paramref name="Mode"/> (numpy's
/// constant / reflect / edge / wrap).
/// </summary>
/// <param name="X">Data.</param>
/// <param name="Y">Output.</param>
/// <param name="Pads">Constant pads (used when <paramref name="PadsValue"/> is -1).</param>
/// <param name="PadsValue">Value id of computed int64 pads, or -1.</param>
/// <param name="Axes">Constant axes the pads refer to; empty = all axes.</param>
/// <param name="AxesValue">Value id of computed axes, or -1.</param>
/// <param name="ConstantValue">The fill value when <paramref name="ConstantInput"/> is -1 (opset &lt; 11 attribute).</param>
/// <param name="ConstantInput">Value id of the scalar fill value (same type as X), or -1.</param>
/// <param name="Mode">The border mode.</param>
public sealed record PadOp(int X, int Y, long[] Pads, int PadsValue, long[] Axes, int AxesValue, float ConstantValue, int ConstantInput,
    PadMode Mode) : Op
{
    /// <inheritdoc/>
    // Constant pads that leave axis 0 unpadded (ONNX layout: all begins, then all ends, over Axes or every axis).
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
    {
        if (PadsValue >= 0 || AxesValue >= 0 || (ConstantInput >= 0 && !flow.IsConstant(ConstantInput)) || !flow.IsBatched(X))
        {
            return false;
        }

        int count = Pads.Length / 2;
        for (int i = 0; i < count; i++)
        {
            long axis = Axes.Length > 0 ? Axes[i] : i;
            if (!SampleFlow.IsInnerAxis(axis, flow.Rank(X)) && (Pads[i] != 0 || Pads[count + i] != 0))
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
        if (rank > ShapeMath.MaxRank)
        {
            throw Fail($"rank {rank} exceeds {ShapeMath.MaxRank}.");
        }

        var pads = Strides.Operand(c, PadsValue, Pads);
        var axes = Strides.Operand(c, AxesValue, Axes);
        var n = axes.Length == 0 ? rank : axes.Length;
        if (pads.Length != 2 * n)
        {
            throw Fail($"{pads.Length} pads for {n} axes of the input {ShapeMath.Format(xs)}.");
        }

        Span<int> begin = stackalloc int[rank];
        Span<int> ys = stackalloc int[rank];
        begin.Clear();
        xs.CopyTo(ys);
        for (var i = 0; i < n; i++)
        {
            var a = axes.Length == 0 ? i : axes[i];
            if (!ShapeMath.TryAxis(a, rank, out var axis))
            {
                throw Fail($"axis {a} is outside the input {ShapeMath.Format(xs)}.");
            }

            var size = xs[axis] + pads[i] + pads[i + n];
            if (size < 0 || size > int.MaxValue || Math.Abs(pads[i]) > int.MaxValue)
            {
                throw Fail($"pads {pads[i]}, {pads[i + n]} do not fit axis {axis} of the input {ShapeMath.Format(xs)}.");
            }

            begin[axis] = (int)pads[i];
            ys[axis] = (int)size;
        }

        var elementSize = c.ElementSize(X);
        var y = c.OutputBytes(Y, ys);
        if (y.Length == 0)
        {
            return;
        }

        var x = c.Bytes(X);
        if (Mode != PadMode.Constant && x.Length == 0)
        {
            throw Fail($"{Mode} padding of an empty input {ShapeMath.Format(xs)}.");
        }

        Span<byte> fill = stackalloc byte[elementSize];
        FillValue(c, fill);
        if (rank == 0)
        {
            x.CopyTo(y);
            return;
        }

        Run(x, y, xs, ys, begin, fill, elementSize);
    }

    /// <summary>Copies row by row: each output row (all dims but the last) maps to one input row or to the fill.</summary>
    private void Run(ReadOnlySpan<byte> x, Span<byte> y, ReadOnlySpan<int> xs, ReadOnlySpan<int> ys, ReadOnlySpan<int> begin,
        ReadOnlySpan<byte> fill, int size)
    {
        var rank = xs.Length;
        var last = rank - 1;
        Span<int> xStrides = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        Strides.Of(xs, xStrides);
        index.Clear();
        var width = ys[last];
        var rows = ShapeMath.Product(ys[..last]);
        var rowBytes = width * size;

        // The span of output columns that read input columns directly, [lo, hi).
        var lo = Math.Clamp(begin[last], 0, width);
        var hi = Math.Clamp(begin[last] + xs[last], lo, width);
        for (var r = 0; r < rows; r++)
        {
            var yRow = y.Slice(r * rowBytes, rowBytes);
            var src = 0;
            var inside = true;
            for (var d = 0; d < last && inside; d++)
            {
                var k = Map(index[d] - begin[d], xs[d]);
                inside = k >= 0;
                src += k * xStrides[d];
            }

            Strides.Next(index[..last], ys[..last]);
            if (!inside)
            {
                Strides.Fill(yRow, fill);
                continue;
            }

            var xRow = x.Slice(src * size, xs[last] * size);
            if (hi > lo)
            {
                xRow.Slice((lo - begin[last]) * size, (hi - lo) * size).CopyTo(yRow.Slice(lo * size));
            }

            Border(xRow, yRow, 0, lo, begin[last], xs[last], fill, size);
            Border(xRow, yRow, hi, width, begin[last], xs[last], fill, size);
        }
    }

    /// <summary>Output columns [<paramref name="from"/>, <paramref name="to"/>) of one row, which read the border.</summary>
    private void Border(ReadOnlySpan<byte> xRow, Span<byte> yRow, int from, int to, int begin, int n, ReadOnlySpan<byte> fill, int size)
    {
        for (var j = from; j < to; j++)
        {
            var k = Map(j - begin, n);
            var target = yRow.Slice(j * size, size);
            if (k < 0)
            {
                fill.CopyTo(target);
            }
            else
            {
                xRow.Slice(k * size, size).CopyTo(target);
            }
        }
    }

    /// <summary>The input coordinate an output reads along a dim of size <paramref name="n"/>, or -1 for the fill.</summary>
    private int Map(int i, int n)
    {
        if ((uint)i < (uint)n)
        {
            return i;
        }

        switch (Mode)
        {
            case PadMode.Edge:
                return i < 0 ? 0 : n - 1;
            case PadMode.Wrap:
                return ((i % n) + n) % n;
            case PadMode.Reflect:
                if (n == 1)
                {
                    return 0;
                }

                // Reflection has period 2(n−1): 0 1 … n−1 n−2 … 1 0 1 …
                var period = 2 * (n - 1);
                var m = ((i % period) + period) % period;
                return m < n ? m : period - m;
            default:
                return -1;
        }
    }

    private void FillValue(OpContext c, Span<byte> fill)
    {
        var type = c.TypeOf(X);
        if (ConstantInput >= 0 && c.Shape(ConstantInput) is var vs && ShapeMath.Product(vs) > 0)
        {
            if (c.TypeOf(ConstantInput) == type)
            {
                c.Bytes(ConstantInput)[..fill.Length].CopyTo(fill);
                return;
            }

            Write(fill, type, Strides.Number(c, ConstantInput, 0));
            return;
        }

        Write(fill, type, ConstantInput >= 0 ? 0 : ConstantValue);
    }

    private static void Write(Span<byte> fill, TensorType type, double value)
    {
        switch (type)
        {
            case TensorType.Float32:
                MemoryMarshal.Write(fill, (float)value);
                break;
            case TensorType.Int64:
                MemoryMarshal.Write(fill, (long)value);
                break;
            default:
                fill[0] = value != 0 ? (byte)1 : (byte)0;
                break;
        }
    }
}
