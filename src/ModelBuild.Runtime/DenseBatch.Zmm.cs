using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// AVX-512 block for decoded rows: 4 weight rows × 4 input rows, 16 accumulators (+4 Σx for int8a) of the
/// 32 registers, 8 loads per 16 FMAs. Results go to <c>s</c>: dot of weight row i with input row r at
/// [4·r + i], Σx of input row r at [16 + r].
/// </summary>
internal static partial class DenseBatch
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block4x4Zmm(bool asymmetric, ref float x0, int k, ref float w0, Span<float> s)
    {
        ref float x1 = ref Unsafe.Add(ref x0, k), x2 = ref Unsafe.Add(ref x0, 2 * k), x3 = ref Unsafe.Add(ref x0, 3 * k);
        ref float w1 = ref Unsafe.Add(ref w0, k), w2 = ref Unsafe.Add(ref w0, 2 * k), w3 = ref Unsafe.Add(ref w0, 3 * k);
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int i = 0;
        for (; i <= k - 16; i += 16)
        {
            Vector512<float> v0 = Vector512.LoadUnsafe(ref x0, (nuint)i);
            Vector512<float> v1 = Vector512.LoadUnsafe(ref x1, (nuint)i);
            Vector512<float> v2 = Vector512.LoadUnsafe(ref x2, (nuint)i);
            Vector512<float> v3 = Vector512.LoadUnsafe(ref x3, (nuint)i);
            Vector512<float> w = Vector512.LoadUnsafe(ref w0, (nuint)i);
            a00 = Vector512.FusedMultiplyAdd(w, v0, a00);
            a10 = Vector512.FusedMultiplyAdd(w, v1, a10);
            a20 = Vector512.FusedMultiplyAdd(w, v2, a20);
            a30 = Vector512.FusedMultiplyAdd(w, v3, a30);
            w = Vector512.LoadUnsafe(ref w1, (nuint)i);
            a01 = Vector512.FusedMultiplyAdd(w, v0, a01);
            a11 = Vector512.FusedMultiplyAdd(w, v1, a11);
            a21 = Vector512.FusedMultiplyAdd(w, v2, a21);
            a31 = Vector512.FusedMultiplyAdd(w, v3, a31);
            w = Vector512.LoadUnsafe(ref w2, (nuint)i);
            a02 = Vector512.FusedMultiplyAdd(w, v0, a02);
            a12 = Vector512.FusedMultiplyAdd(w, v1, a12);
            a22 = Vector512.FusedMultiplyAdd(w, v2, a22);
            a32 = Vector512.FusedMultiplyAdd(w, v3, a32);
            w = Vector512.LoadUnsafe(ref w3, (nuint)i);
            a03 = Vector512.FusedMultiplyAdd(w, v0, a03);
            a13 = Vector512.FusedMultiplyAdd(w, v1, a13);
            a23 = Vector512.FusedMultiplyAdd(w, v2, a23);
            a33 = Vector512.FusedMultiplyAdd(w, v3, a33);
            if (asymmetric)
            {
                s0 += v0;
                s1 += v1;
                s2 += v2;
                s3 += v3;
            }
        }

        Row(s, 0, a00, a01, a02, a03, s0);
        Row(s, 1, a10, a11, a12, a13, s1);
        Row(s, 2, a20, a21, a22, a23, s2);
        Row(s, 3, a30, a31, a32, a33, s3);
        for (; i < k; i++)
        {
            for (int r = 0; r < 4; r++)
            {
                float v = Unsafe.Add(ref x0, (r * k) + i);
                s[4 * r] += Unsafe.Add(ref w0, i) * v;
                s[(4 * r) + 1] += Unsafe.Add(ref w1, i) * v;
                s[(4 * r) + 2] += Unsafe.Add(ref w2, i) * v;
                s[(4 * r) + 3] += Unsafe.Add(ref w3, i) * v;
                s[16 + r] += v;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(Span<float> s, int r, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, Vector512<float> sx)
    {
        s[4 * r] = Vector512.Sum(a);
        s[(4 * r) + 1] = Vector512.Sum(b);
        s[(4 * r) + 2] = Vector512.Sum(c);
        s[(4 * r) + 3] = Vector512.Sum(d);
        s[16 + r] = Vector512.Sum(sx);
    }
}
