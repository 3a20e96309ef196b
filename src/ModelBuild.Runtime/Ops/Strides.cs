using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>Row-major index arithmetic shared by the data-movement operators (small, allocation-free helpers).</summary>
internal static class Strides
{
    /// <summary>Row-major element strides of <paramref name="shape"/>.</summary>
    public static void Of(ReadOnlySpan<int> shape, Span<int> strides)
    {
        var s = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
    }

    /// <summary>Advances a row-major multi-index over <paramref name="shape"/> by one (odometer order).</summary>
    public static void Next(Span<int> index, ReadOnlySpan<int> shape)
    {
        for (var d = index.Length - 1; d >= 0 && ++index[d] == shape[d]; d--)
        {
            index[d] = 0;
        }
    }

    /// <summary>
    /// GatherElements/ScatterElements' shape rule (Operators.md): indices must not exceed the data on any axis but
    /// <paramref name="axis"/>.
    /// </summary>
    /// <returns>Why they do, or null.</returns>
    public static string? IndicesExceedData(ReadOnlySpan<int> xs, ReadOnlySpan<int> ids, int axis)
    {
        for (var d = 0; d < xs.Length; d++)
        {
            if (d != axis && ids[d] > xs[d])
            {
                return $"the indices {ShapeMath.Format(ids)} exceed the data {ShapeMath.Format(xs)} on axis {d}.";
            }
        }

        return null;
    }

    /// <summary>
    /// The flat offset of the element at multi-index <paramref name="index"/> with its <paramref name="axis"/>
    /// coordinate replaced by <paramref name="k"/> (negative counts from the end of an axis of size
    /// <paramref name="n"/>), or -1 when <paramref name="k"/> is outside the axis.
    /// </summary>
    public static int OffsetAlongAxis(ReadOnlySpan<int> index, ReadOnlySpan<int> strides, int axis, long k, int n)
    {
        k = k < 0 ? k + n : k;
        if ((ulong)k >= (ulong)n)
        {
            return -1;
        }

        var offset = 0;
        for (var d = 0; d < index.Length; d++)
        {
            offset += (d == axis ? (int)k : index[d]) * strides[d];
        }

        return offset;
    }

    /// <summary>
    /// Copies <paramref name="x"/> permuted by <paramref name="perm"/> (output dim i = input dim perm[i]) into
    /// <paramref name="y"/>, <paramref name="size"/> bytes per element. Float tensors take <see cref="Kernels.Transpose"/>.
    /// </summary>
    public static void Permute(ReadOnlySpan<byte> x, Span<byte> y, ReadOnlySpan<int> xs, ReadOnlySpan<int> perm, int size)
    {
        var rank = xs.Length;
        Span<int> inStrides = stackalloc int[rank];
        Span<int> ys = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        Of(xs, inStrides);
        for (var d = 0; d < rank; d++)
        {
            ys[d] = xs[perm[d]];
        }

        index.Clear();
        var count = y.Length / size;
        for (var o = 0; o < count; o++)
        {
            var src = 0;
            for (var d = 0; d < rank; d++)
            {
                src += index[d] * inStrides[perm[d]];
            }

            x.Slice(src * size, size).CopyTo(y.Slice(o * size, size));
            Next(index, ys);
        }
    }

    /// <summary>Fills <paramref name="y"/> with copies of the <paramref name="element"/> bytes.</summary>
    public static void Fill(Span<byte> y, ReadOnlySpan<byte> element)
    {
        switch (element.Length)
        {
            case 1:
                Simd.Fill(y, element[0]);
                return;
            case 4:
                Simd.Fill(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(y), System.Runtime.InteropServices.MemoryMarshal.Read<int>(element));
                return;
            case 8:
                Simd.Fill(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(y), System.Runtime.InteropServices.MemoryMarshal.Read<long>(element));
                return;
            default:
                for (var o = 0; o < y.Length; o += element.Length)
                {
                    element.CopyTo(y[o..]);
                }

                return;
        }
    }

    /// <summary>The int64 operand: a computed value when <paramref name="value"/> ≥ 0, else the constant list.</summary>
    public static ReadOnlySpan<long> Operand(OpContext c, int value, long[] constant) => value >= 0 ? c.Longs(value) : constant;

    /// <summary>Element <paramref name="i"/> of a numeric tensor as a double (float32, int64 or bool), for scalar operands.</summary>
    public static double Number(OpContext c, int value, int i) => c.TypeOf(value) switch
    {
        TensorType.Float32 => c.Floats(value)[i],
        TensorType.Int64 => c.Longs(value)[i],
        _ => c.Bools(value)[i] ? 1 : 0,
    };

    /// <summary>Element <paramref name="i"/> of an index tensor (int64, or float indices truncated as ONNX casts them).</summary>
    public static long Index(OpContext c, int value, int i) => c.TypeOf(value) switch
    {
        TensorType.Int64 => c.Longs(value)[i],
        TensorType.Float32 => (long)c.Floats(value)[i],
        _ => c.Bools(value)[i] ? 1 : 0,
    };
}
