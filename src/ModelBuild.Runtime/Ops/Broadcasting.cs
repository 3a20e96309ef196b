using System.Numerics;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>A scalar function of two broadcast operands (a struct, so the loop below is specialised per function).</summary>
internal interface IBroadcastFunction<TA, TB, TY>
{
    TY Invoke(TA a, TB b);
}

/// <summary>
/// Scalar numpy-broadcasting loops for the tensors that are not hot float math: int64 shape arithmetic, comparisons
/// and logic on bools ("Broadcasting in ONNX").
/// </summary>
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

    /// <summary>
    /// The broadcast shape of <paramref name="sa"/> and <paramref name="sb"/> into <paramref name="ys"/> (rank = the larger
    /// rank) and both shapes left-padded with 1s to it; false when they do not broadcast.
    /// </summary>
    public static bool TryShapes(ReadOnlySpan<int> sa, ReadOnlySpan<int> sb, Span<int> ys, Span<int> pa, Span<int> pb)
    {
        if (!ShapeMath.TryBroadcast(sa, sb, ys))
        {
            return false;
        }

        ShapeMath.PadLeft(sa, pa);
        ShapeMath.PadLeft(sb, pb);
        return true;
    }

    /// <summary><c>y[i] = f(a[…], b[…])</c> over the output <paramref name="ys"/>; <paramref name="pa"/>/<paramref name="pb"/> are padded to its rank.</summary>
    public static void Run<TA, TB, TY, TF>(ReadOnlySpan<TA> a, ReadOnlySpan<int> pa, ReadOnlySpan<TB> b, ReadOnlySpan<int> pb, Span<TY> y,
        ReadOnlySpan<int> ys, TF f)
        where TF : struct, IBroadcastFunction<TA, TB, TY>
    {
        var rank = ys.Length;
        Span<int> stA = stackalloc int[rank];
        Span<int> stB = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        Strides(pa, stA);
        Strides(pb, stB);
        index.Clear();
        int ia = 0, ib = 0;
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = f.Invoke(a[ia], b[ib]);

            // Odometer, innermost dim first; offsets move by the dim's stride and rewind when it wraps.
            for (var d = rank - 1; d >= 0; d--)
            {
                ia += stA[d];
                ib += stB[d];
                if (++index[d] < ys[d])
                {
                    break;
                }

                ia -= stA[d] * ys[d];
                ib -= stB[d] * ys[d];
                index[d] = 0;
            }
        }
    }

    public static void Run(ReadOnlySpan<long> a, ReadOnlySpan<int> pa, ReadOnlySpan<long> b, ReadOnlySpan<int> pb, Span<long> y,
        ReadOnlySpan<int> ys, BinaryFunction f, Op op) =>
        Run(a, pa, b, pb, y, ys, new Int64Function(f, op));

    /// <summary>Integer semantics of the binary functions (C#'s wrapping arithmetic, as ONNX Runtime's int64 kernels).</summary>
    private readonly struct Int64Function(BinaryFunction f, Op op) : IBroadcastFunction<long, long, long>
    {
        public long Invoke(long a, long b) => f switch
        {
            BinaryFunction.Add => unchecked(a + b),
            BinaryFunction.Sub => unchecked(a - b),
            BinaryFunction.Mul => unchecked(a * b),
            BinaryFunction.Div => a / NonZero(b),
            BinaryFunction.Max => Math.Max(a, b),
            BinaryFunction.Min => Math.Min(a, b),
            BinaryFunction.Pow => Power(a, b),
            BinaryFunction.FMod => b == -1 ? 0 : a % NonZero(b), // long.MinValue % −1 overflows in .NET; the remainder is 0
            BinaryFunction.Mod => FlooredMod(a, b),
            _ => a < 0 ? unchecked(a * b) : a,
        };

        private long NonZero(long b) => b != 0 ? b : throw new DivideByZeroException($"'{op.Node}': integer division by zero.");

        private long FlooredMod(long a, long b)
        {
            if (b == -1)
            {
                return 0;
            }

            var r = a % NonZero(b);
            return r != 0 && (r < 0) != (b < 0) ? r + b : r;
        }

        /// <summary>
        /// a^b exactly (wrapping on overflow) by squaring; a negative exponent gives what C's pow truncated to an
        /// integer gives: 1/a^|b| is 0 unless |a| = 1.
        /// </summary>
        private long Power(long a, long b)
        {
            if (b < 0)
            {
                return a switch
                {
                    1 => 1,
                    -1 => (b & 1) == 0 ? 1 : -1,
                    0 => throw new DivideByZeroException($"'{op.Node}': 0 to a negative integer power."),
                    _ => 0,
                };
            }

            long result = 1;
            unchecked
            {
                for (; b > 0; b >>= 1, a *= a)
                {
                    if ((b & 1) != 0)
                    {
                        result *= a;
                    }
                }
            }

            return result;
        }
    }
}

/// <summary>Comparisons of two numbers (float32 or int64); NaN compares false except for nothing (IEEE).</summary>
internal readonly struct NumberComparison<T>(CompareFunction f) : IBroadcastFunction<T, T, bool>
    where T : INumber<T>
{
    public bool Invoke(T a, T b) => f switch
    {
        CompareFunction.Equal => a == b,
        CompareFunction.Less => a < b,
        CompareFunction.Greater => a > b,
        CompareFunction.LessOrEqual => a <= b,
        _ => a >= b,
    };
}

/// <summary>Functions of two bools: And, Or, Xor, and Equal (ONNX Equal accepts bool tensors).</summary>
internal readonly struct BoolFunction(LogicalFunction f, bool equal) : IBroadcastFunction<bool, bool, bool>
{
    public bool Invoke(bool a, bool b) => equal ? a == b : f switch
    {
        LogicalFunction.And => a & b,
        LogicalFunction.Or => a | b,
        _ => a ^ b,
    };
}
