using System.Runtime.InteropServices;

namespace ModelBuild.Graph.Passes;

/// <summary>Cast and the four broadcasting arithmetic operators.</summary>
internal static partial class ConstantEvaluator
{
    private static bool IsFloat(DataType t) => t is DataType.Float or DataType.Double;

    private static bool IsInteger(DataType t) => t is DataType.Int64 or DataType.Int32;

    private static Tensor? Cast(Tensor data, DataType to, string name)
    {
        if (!(IsFloat(data.DataType) || IsInteger(data.DataType)) || !(IsFloat(to) || IsInteger(to)))
        {
            return null;
        }

        // Tensor.ToInt64s truncates floats toward zero, as Cast does for in-range values.
        return IsFloat(to) ? FromDoubles(name, to, data.Dims, data.ToDoubles()) : FromLongs(name, to, data.Dims, data.ToInt64s());
    }

    private static Tensor? Arithmetic(string op, Tensor a, Tensor b, string name)
    {
        if (a.DataType != b.DataType || !(IsFloat(a.DataType) || IsInteger(a.DataType)))
        {
            return null;
        }

        var rank = Math.Max(a.Dims.Length, b.Dims.Length);
        var da = Pad(a.Dims, rank);
        var db = Pad(b.Dims, rank);
        var dims = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            dims[i] = da[i] == 1 ? db[i] : db[i] == 1 || db[i] == da[i] ? da[i] : throw new ArgumentException("shapes do not broadcast");
        }

        var count = dims.Aggregate(1L, (x, d) => x * d);
        var ia = BroadcastIndex(da, dims, count);
        var ib = BroadcastIndex(db, dims, count);
        if (IsFloat(a.DataType))
        {
            var (x, y) = (a.ToDoubles(), b.ToDoubles());
            var r = new double[count];
            for (var i = 0; i < count; i++)
            {
                r[i] = op switch { "Add" => x[ia[i]] + y[ib[i]], "Sub" => x[ia[i]] - y[ib[i]], "Mul" => x[ia[i]] * y[ib[i]], _ => x[ia[i]] / y[ib[i]] };
            }

            return FromDoubles(name, a.DataType, dims, r);
        }

        var (p, q) = (a.ToInt64s(), b.ToInt64s());
        var s = new long[count];
        for (var i = 0; i < count; i++)
        {
            // Integer division truncates toward zero, as ONNX Runtime's Div does; a zero divisor is left to run time.
            s[i] = op switch { "Add" => p[ia[i]] + q[ib[i]], "Sub" => p[ia[i]] - q[ib[i]], "Mul" => p[ia[i]] * q[ib[i]], _ => q[ib[i]] == 0 ? throw new ArgumentException("division by zero") : p[ia[i]] / q[ib[i]] };
        }

        return FromLongs(name, a.DataType, dims, s);
    }

    private static long[] Pad(long[] dims, int rank) => Enumerable.Repeat(1L, rank - dims.Length).Concat(dims).ToArray();

    /// <summary>For each output element, the flat index of the (broadcast) input element.</summary>
    private static long[] BroadcastIndex(long[] inDims, long[] outDims, long count)
    {
        var strides = Strides(inDims);
        var result = new long[count];
        var index = new long[outDims.Length];
        for (long o = 0; o < count; o++)
        {
            long source = 0;
            for (var d = 0; d < outDims.Length; d++)
            {
                source += inDims[d] == 1 ? 0 : index[d] * strides[d];
            }

            result[o] = source;
            Increment(index, outDims);
        }

        return result;
    }

    /// <summary>A float tensor of <paramref name="type"/> (float32 rounds each value once from float64).</summary>
    public static Tensor FromDoubles(string name, DataType type, long[] dims, double[] values) => type == DataType.Double
        ? new Tensor(name, type, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray())
        : Tensor.FromFloats(name, dims, Array.ConvertAll(values, v => (float)v));

    private static Tensor FromLongs(string name, DataType type, long[] dims, long[] values) => type == DataType.Int32
        ? new Tensor(name, type, dims, MemoryMarshal.AsBytes(Array.ConvertAll(values, v => checked((int)v)).AsSpan()).ToArray())
        : Tensor.FromInt64s(name, dims, values);
}
