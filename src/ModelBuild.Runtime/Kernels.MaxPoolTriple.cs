using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// AVX2 max pooling with 3-wide windows at horizontal stride 2 (SqueezeNet's and ResNet's 3×3/2), every window inside
    /// the input, any KH, SH and vertical dilation. Per 8 outputs of a row: the vertical max of the KH rows at columns 2i
    /// and 2i + 2 (two registers each), then the even lanes of the first pair, its odd lanes and the even lanes of the second
    /// are the window's three columns. All in registers, where <see cref="PoolRows{TR}"/> stores the vertical fold to a row
    /// buffer and reloads it at unaligned offsets, which on 7-wide rows cost more than the folds (store-forwarding misses).
    /// The folds are one maxps each (<see cref="FastMaxPoolReduce"/>'s rule), which can drop a NaN, so every register the
    /// windows read is also summed, and a call whose sum is NaN (a NaN input, or +∞ meeting −∞) is run again with
    /// <see cref="MaxPoolReduce.Max(Vector256{float}, Vector256{float})"/> (NaN-exact, 5 instructions a fold): 36 instead of
    /// 67 instructions per 8 outputs of a 3×3 window (squeezenet_cifar10's pool at batch 64 took twice ONNX Runtime's time).
    /// As with <see cref="FastMaxPoolReduce"/>, a ±0 tie may give −0 where IEEE maximum gives +0 (they compare equal).
    /// </summary>
    /// <remarks>
    /// A row of fewer than 8 outputs is one register whose extra lanes land in rows written later, and the loads of a
    /// register run up to 18 floats past its first column (into the next row); a row where either would leave x or y takes
    /// the scalar taps instead (the tensor's last rows).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void MaxPoolTriple(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch)
    {
        MaxPoolTripleBody(x, y, in s, batch);
    }

    // MaxPoolTriple's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxPoolTripleBody(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch)
    {
        if (!TripleRows(x, y, s, batch, exact: false))
        {
            TripleRows(x, y, s, batch, exact: true);
        }
    }

    // exact: false → maxps folds, and false is returned when the input may have held a NaN; exact: true → NaN-exact folds.
    // Inlined into the two calls above, so each loop is compiled for its constant.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TripleRows(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch, bool exact)
    {
        int hw = s.H * s.W, p = s.OH * s.OW, rowStep = s.DH * s.W;
        long xEnd = (long)batch * s.C * hw, yEnd = (long)batch * s.C * p;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        int last = Math.Max(s.OW - 8, 0);
        Vector256<float> seen = Vector256<float>.Zero;
        for (int plane = 0; plane < batch * s.C; plane++)
        {
            for (int oh = 0; oh < s.OH; oh++)
            {
                long a = ((long)plane * hw) + ((long)oh * s.SH * s.W), at = ((long)plane * p) + ((long)oh * s.OW);
                ref float row = ref Unsafe.Add(ref x0, (nint)a);
                ref float o = ref Unsafe.Add(ref y0, (nint)at);
                if (a + ((long)(s.KH - 1) * rowStep) + (2L * last) + 18 > xEnd || at + last + 8 > yEnd)
                {
                    MaxTripleScalar(ref row, ref o, s.KH, rowStep, s.OW);
                    continue;
                }

                for (int i = 0; ; i = Math.Min(i + 8, last))
                {
                    // Columns 2i … 2i + 16 are read: a0 and a1 hold 2i … 2i + 15, b1 2i + 10 … 2i + 17, so their sum sees every one.
                    ref float r0 = ref Unsafe.Add(ref row, 2 * i);
                    Vector256<float> a0 = Vector256.LoadUnsafe(ref r0), a1 = Vector256.LoadUnsafe(ref r0, 8);
                    Vector256<float> b0 = Vector256.LoadUnsafe(ref r0, 2), b1 = Vector256.LoadUnsafe(ref r0, 10);
                    if (!exact)
                    {
                        seen += a0 + a1 + b1;
                    }

                    for (int kh = 1; kh < s.KH; kh++)
                    {
                        ref float rk = ref Unsafe.Add(ref r0, kh * rowStep);
                        Vector256<float> c0 = Vector256.LoadUnsafe(ref rk), c1 = Vector256.LoadUnsafe(ref rk, 8);
                        Vector256<float> d0 = Vector256.LoadUnsafe(ref rk, 2), d1 = Vector256.LoadUnsafe(ref rk, 10);
                        if (exact)
                        {
                            a0 = MaxPoolReduce.Max(a0, c0);
                            a1 = MaxPoolReduce.Max(a1, c1);
                            b0 = MaxPoolReduce.Max(b0, d0);
                            b1 = MaxPoolReduce.Max(b1, d1);
                        }
                        else
                        {
                            seen += c0 + c1 + d1;
                            a0 = Avx.Max(a0, c0);
                            a1 = Avx.Max(a1, c1);
                            b0 = Avx.Max(b0, d0);
                            b1 = Avx.Max(b1, d1);
                        }
                    }

                    // Per 128-bit lane vshufps gives a0 a2 a8 a10 | a4 a6 a12 a14 (columns relative to 2i); swapping the middle pairs orders them.
                    Vector256<float> even = Avx.Shuffle(a0, a1, 0b10_00_10_00), odd = Avx.Shuffle(a0, a1, 0b11_01_11_01);
                    Vector256<float> next = Avx.Shuffle(b0, b1, 0b10_00_10_00);
                    Vector256<float> m = exact ? MaxPoolReduce.Max(MaxPoolReduce.Max(even, odd), next) : Avx.Max(Avx.Max(even, odd), next);
                    Simd.SwapMiddlePairs(m).StoreUnsafe(ref o, (nuint)i);
                    if (i == last)
                    {
                        break;
                    }
                }
            }
        }

        return exact || Avx.MoveMask(Avx.CompareUnordered(seen, seen)) == 0;
    }

    /// <summary>One output row of <see cref="MaxPoolTriple"/> tap by tap (MathF.Max, NaN-propagating as the vector maxima).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxTripleScalar(ref float row, ref float o, int kh, int rowStep, int ow)
    {
        for (int i = 0; i < ow; i++)
        {
            float m = Unsafe.Add(ref row, 2 * i);
            for (int r = 0; r < kh; r++)
            {
                ref float at = ref Unsafe.Add(ref row, (r * rowStep) + (2 * i));
                m = MathF.Max(MathF.Max(m, at), MathF.Max(Unsafe.Add(ref at, 1), Unsafe.Add(ref at, 2)));
            }

            Unsafe.Add(ref o, i) = m;
        }
    }
}
