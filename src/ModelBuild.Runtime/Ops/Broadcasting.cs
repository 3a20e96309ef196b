using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>Scalar numpy-broadcasting loops for the integer tensors of shape arithmetic (small, not hot).</summary>
internal static class Broadcasting
{
    /// <summary>Strides of a padded operand shape, 0 along broadcast dims.</summary>
    public static void Strides(ReadOnlySpan<int> shape, Span<int> strides)
    {
        var s = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = shape[i] == 1 ? 0 : s;
            s *= shape[i];
        }
    }

    public static void Run(ReadOnlySpan<long> a, ReadOnlySpan<int> pa, ReadOnlySpan<long> b, ReadOnlySpan<int> pb, Span<long> y,
        ReadOnlySpan<int> ys, BinaryFunction f, Op op)
    {
        var rank = ys.Length;
        Span<int> stA = stackalloc int[rank];
        Span<int> stB = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        Strides(pa, stA);
        Strides(pb, stB);
        index.Clear();
        for (var i = 0; i < y.Length; i++)
        {
            int ia = 0, ib = 0;
            for (var d = 0; d < rank; d++)
            {
                ia += index[d] * stA[d];
                ib += index[d] * stB[d];
            }

            y[i] = Apply(f, a[ia], b[ib], op);
            for (var d = rank - 1; d >= 0 && ++index[d] == ys[d]; d--)
            {
                index[d] = 0;
            }
        }
    }

    private static long Apply(BinaryFunction f, long a, long b, Op op) => f switch
    {
        BinaryFunction.Add => unchecked(a + b),
        BinaryFunction.Sub => unchecked(a - b),
        BinaryFunction.Mul => unchecked(a * b),
        BinaryFunction.Div => b == 0 ? throw new DivideByZeroException($"'{op.Node}': integer division by zero.") : a / b,
        BinaryFunction.Max => Math.Max(a, b),
        BinaryFunction.Min => Math.Min(a, b),
        _ => (long)Math.Pow(a, b),
    };
}
