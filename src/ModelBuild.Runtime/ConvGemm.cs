using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// <c>y[j, p] = ep(Σ_k W[j,k]·col[k,p])</c> for weight rows <c>j0 ≤ j &lt; j0 + m</c>: a convolution once its
/// input is laid out as <c>col[k = (ci,kh,kw), p = pixel]</c> (im2col; for a 1×1 stride-1 unpadded conv that
/// is the input itself). Vectorised over pixels, so outputs are stored as whole vectors in NCHW order and each
/// weight is broadcast once per 16 pixels. Blocks are 4 weight rows × 2 vectors (8 accumulators).
/// </summary>
internal static partial class ConvGemm
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run<TL>(SimdLevel level, WeightMatrix w, int j0, int m, ref float col, int k, int p, ref float y, Epilogue ep)
        where TL : struct, IWeightLoader
    {
        RunBody<TL>(level, w, j0, m, ref col, k, p, ref y, ep);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody<TL>(SimdLevel level, WeightMatrix w, int j0, int m, ref float col, int k, int p, ref float y, Epilogue ep)
        where TL : struct, IWeightLoader
    {
        for (int jb = 0; jb < m; jb += 4)
        {
            // A partial last block repeats its last row; the duplicates are computed but never stored.
            int j1 = j0 + Math.Min(jb + 1, m - 1), j2 = j0 + Math.Min(jb + 2, m - 1), j3 = j0 + Math.Min(jb + 3, m - 1);
            int rowsHere = Math.Min(4, m - jb);
            ref byte w0 = ref TL.Row(w, j0 + jb);
            ref byte w1 = ref TL.Row(w, j1);
            ref byte w2 = ref TL.Row(w, j2);
            ref byte w3 = ref TL.Row(w, j3);
            ref float y0 = ref Unsafe.Add(ref y, (nint)jb * p);
            int px = 0;
            if (level == SimdLevel.Vector256)
            {
                for (; px <= p - 16; px += 16)
                {
                    Block256x2<TL>(ref w0, ref w1, ref w2, ref w3, ref Unsafe.Add(ref col, px), k, p, ref Unsafe.Add(ref y0, px), j0 + jb, rowsHere, ep);
                }
            }

            if (level != SimdLevel.Scalar)
            {
                for (; px <= p - 4; px += 4)
                {
                    Block128<TL>(ref w0, ref w1, ref w2, ref w3, ref Unsafe.Add(ref col, px), k, p, ref Unsafe.Add(ref y0, px), j0 + jb, rowsHere, ep);
                }
            }

            for (; px < p; px++)
            {
                for (int r = 0; r < rowsHere; r++)
                {
                    ref byte wr = ref TL.Row(w, j0 + jb + r);
                    float dot = 0, sumX = 0;
                    for (int i = 0; i < k; i++)
                    {
                        float v = Unsafe.Add(ref col, ((nint)i * p) + px);
                        dot += TL.Get(ref wr, i) * v;
                        sumX += v;
                    }

                    Unsafe.Add(ref y0, ((nint)r * p) + px) = ep.Apply(j0 + jb + r, dot, sumX);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Block256x2<TL>(ref byte w0, ref byte w1, ref byte w2, ref byte w3, ref float col, int k, int p, ref float y, int j, int rows, Epilogue ep)
        where TL : struct, IWeightLoader
    {
        Block256x2Body<TL>(ref w0, ref w1, ref w2, ref w3, ref col, k, p, ref y, j, rows, ep);
    }

    // Block256x2's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block256x2Body<TL>(ref byte w0, ref byte w1, ref byte w2, ref byte w3, ref float col, int k, int p, ref float y, int j, int rows, Epilogue ep)
        where TL : struct, IWeightLoader
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, sa = default, sb = default;
        for (int i = 0; i < k; i++)
        {
            ref float c = ref Unsafe.Add(ref col, (nint)i * p);
            Vector256<float> xa = Vector256.LoadUnsafe(ref c);
            Vector256<float> xb = Vector256.LoadUnsafe(ref c, 8);
            Vector256<float> w = Vector256.Create(TL.Get(ref w0, i));
            a0 = Simd.MulAdd(w, xa, a0);
            b0 = Simd.MulAdd(w, xb, b0);
            w = Vector256.Create(TL.Get(ref w1, i));
            a1 = Simd.MulAdd(w, xa, a1);
            b1 = Simd.MulAdd(w, xb, b1);
            w = Vector256.Create(TL.Get(ref w2, i));
            a2 = Simd.MulAdd(w, xa, a2);
            b2 = Simd.MulAdd(w, xb, b2);
            w = Vector256.Create(TL.Get(ref w3, i));
            a3 = Simd.MulAdd(w, xa, a3);
            b3 = Simd.MulAdd(w, xb, b3);
            if (TL.Asymmetric)
            {
                sa += xa;
                sb += xb;
            }
        }

        ep.Apply(j, a0, sa).StoreUnsafe(ref y);
        ep.Apply(j, b0, sb).StoreUnsafe(ref y, 8);
        if (rows > 1)
        {
            ep.Apply(j + 1, a1, sa).StoreUnsafe(ref y, (nuint)p);
            ep.Apply(j + 1, b1, sb).StoreUnsafe(ref y, (nuint)p + 8);
        }

        if (rows > 2)
        {
            ep.Apply(j + 2, a2, sa).StoreUnsafe(ref y, (nuint)(2 * p));
            ep.Apply(j + 2, b2, sb).StoreUnsafe(ref y, (nuint)(2 * p) + 8);
        }

        if (rows > 3)
        {
            ep.Apply(j + 3, a3, sa).StoreUnsafe(ref y, (nuint)(3 * p));
            ep.Apply(j + 3, b3, sb).StoreUnsafe(ref y, (nuint)(3 * p) + 8);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Block128<TL>(ref byte w0, ref byte w1, ref byte w2, ref byte w3, ref float col, int k, int p, ref float y, int j, int rows, Epilogue ep)
        where TL : struct, IWeightLoader
    {
        Block128Body<TL>(ref w0, ref w1, ref w2, ref w3, ref col, k, p, ref y, j, rows, ep);
    }

    // Block128's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block128Body<TL>(ref byte w0, ref byte w1, ref byte w2, ref byte w3, ref float col, int k, int p, ref float y, int j, int rows, Epilogue ep)
        where TL : struct, IWeightLoader
    {
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default, sa = default;
        for (int i = 0; i < k; i++)
        {
            Vector128<float> x = Vector128.LoadUnsafe(ref Unsafe.Add(ref col, (nint)i * p));
            a0 = Simd.MulAdd(Vector128.Create(TL.Get(ref w0, i)), x, a0);
            a1 = Simd.MulAdd(Vector128.Create(TL.Get(ref w1, i)), x, a1);
            a2 = Simd.MulAdd(Vector128.Create(TL.Get(ref w2, i)), x, a2);
            a3 = Simd.MulAdd(Vector128.Create(TL.Get(ref w3, i)), x, a3);
            if (TL.Asymmetric)
            {
                sa += x;
            }
        }

        ep.Apply(j, a0, sa).StoreUnsafe(ref y);
        if (rows > 1)
        {
            ep.Apply(j + 1, a1, sa).StoreUnsafe(ref y, (nuint)p);
        }

        if (rows > 2)
        {
            ep.Apply(j + 2, a2, sa).StoreUnsafe(ref y, (nuint)(2 * p));
        }

        if (rows > 3)
        {
            ep.Apply(j + 3, a3, sa).StoreUnsafe(ref y, (nuint)(3 * p));
        }
    }
}
