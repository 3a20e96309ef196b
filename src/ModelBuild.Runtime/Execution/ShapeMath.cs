using System.Globalization;
using System.Text;

namespace ModelBuild.Runtime.Execution;

/// <summary>Shape arithmetic shared by the operators: element counts, numpy broadcasting, axis normalisation.</summary>
public static class ShapeMath
{
    /// <summary>Maximum rank any operator accepts (ONNX sets no limit; real models stay far below).</summary>
    public const int MaxRank = 16;

    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    public static int ElementSize(TensorType type) => type switch
    {
        TensorType.Float32 => 4,
        TensorType.Int64 => 8,
        _ => 1,
    };

    /// <summary>Π <paramref name="shape"/>; throws when the count exceeds <see cref="int.MaxValue"/> or a dim is negative.</summary>
    public static int Product(ReadOnlySpan<int> shape)
    {
        long p = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.");
            }

            p *= d;
            if (p > int.MaxValue)
            {
                throw new ArgumentException($"Shape {Format(shape)} holds more than {int.MaxValue} elements.");
            }
        }

        return (int)p;
    }

    /// <summary>Π of <paramref name="shape"/>[from..to).</summary>
    public static int Product(ReadOnlySpan<int> shape, int from, int to) => Product(shape[from..to]);

    /// <summary>Normalises a possibly negative axis into [0, rank); false when out of range.</summary>
    public static bool TryAxis(long axis, int rank, out int result)
    {
        if (axis < 0)
        {
            axis += rank;
        }

        result = (int)axis;
        return axis >= 0 && axis < rank;
    }

    /// <summary>
    /// The numpy broadcast of two shapes (ONNX "Broadcasting in ONNX", multidirectional) into
    /// <paramref name="result"/> (length = the larger rank); false when a pair of dims is incompatible.
    /// </summary>
    public static bool TryBroadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> result)
    {
        var rank = Math.Max(a.Length, b.Length);
        for (var i = 0; i < rank; i++)
        {
            var da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            var db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                return false;
            }

            result[i] = da == 1 ? db : da;
        }

        return true;
    }

    /// <summary>
    /// Sets every dim to 1. A loop rather than <c>Span.Fill</c>: shapes have a handful of dims, and the runtime
    /// rejected CoreLib's precompiled Fill (its code depends on the vector width; measured with AVX-512 off), so Fill
    /// cost every process a JIT compilation in its first prediction (cold start, issue 12).
    /// </summary>
    internal static void Ones(Span<int> dims)
    {
        for (var i = 0; i < dims.Length; i++)
        {
            dims[i] = 1;
        }
    }

    /// <summary>Right-aligns <paramref name="shape"/> into <paramref name="padded"/>, filling leading dims with 1.</summary>
    public static void PadLeft(ReadOnlySpan<int> shape, Span<int> padded)
    {
        var lead = padded.Length - shape.Length;
        Ones(padded[..lead]);
        shape.CopyTo(padded[lead..]);
    }

    /// <summary>
    /// The shape of an operator that keeps <paramref name="size"/> slices of <paramref name="shape"/> along
    /// <paramref name="axis"/> (Compress, Unique): <paramref name="shape"/> with that dim replaced, or <c>[size]</c>
    /// when the input is flattened first. Written into <paramref name="buffer"/> (at least rank entries).
    /// </summary>
    internal static Span<int> WithAxisSize(ReadOnlySpan<int> shape, int axis, int size, bool flattened, Span<int> buffer)
    {
        if (flattened)
        {
            buffer[0] = size;
            return buffer[..1];
        }

        shape.CopyTo(buffer);
        buffer[axis] = size;
        return buffer[..shape.Length];
    }

    /// <summary><c>[2, 3, H]</c>-style text of a shape, culture-invariant.</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < shape.Length; i++)
        {
            sb.Append(i == 0 ? "" : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return sb.Append(']').ToString();
    }
}
