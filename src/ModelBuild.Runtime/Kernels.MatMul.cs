using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>y[m×n] = a[m×k] · b[k×n]</c> for row-major, contiguous matrices whose values are both known only per call
    /// (attention's Q·Kᵀ and ·V): no packing, so nothing is amortised across calls.
    /// </summary>
    /// <remarks>
    /// Register blocking: 4 rows of <c>a</c> × 2 vectors of <c>b</c> columns, so each step loads 2 vectors of
    /// <c>b</c> and 4 broadcasts and issues 8 FMAs into 8 accumulators (the row of <c>b</c> is reused by 4 rows of
    /// <c>a</c>, a broadcast by 2 vectors). A last block of fewer than 4 rows points its missing rows at the first
    /// one and does not store them (cheaper than a second kernel). Columns left over run 1 vector, then scalar.
    /// </remarks>
    internal static void MatMul(SimdLevel level, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int m, int k, int n)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            y[..(m * n)].Clear();
            return;
        }

        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (int i = 0; i < m; i += 4)
        {
            int rows = Math.Min(4, m - i);
            ref float a0 = ref Unsafe.Add(ref ar, (nint)i * k);
            ref float a1 = ref rows > 1 ? ref Unsafe.Add(ref a0, k) : ref a0;
            ref float a2 = ref rows > 2 ? ref Unsafe.Add(ref a0, 2 * k) : ref a0;
            ref float a3 = ref rows > 3 ? ref Unsafe.Add(ref a0, 3 * k) : ref a0;
            var block = new RowBlock(ref yr, (nint)i * n, n, rows);
            int j = 0;
            if (level == SimdLevel.Vector256)
            {
                for (; j <= n - (2 * Vector256<float>.Count); j += 2 * Vector256<float>.Count)
                {
                    Tile4x2V256(ref a0, ref a1, ref a2, ref a3, ref br, k, n, j, ref block);
                }

                for (; j <= n - Vector256<float>.Count; j += Vector256<float>.Count)
                {
                    Tile4x1V256(ref a0, ref a1, ref a2, ref a3, ref br, k, n, j, ref block);
                }
            }

            if (level != SimdLevel.Scalar)
            {
                for (; j <= n - (2 * Vector128<float>.Count); j += 2 * Vector128<float>.Count)
                {
                    Tile4x2V128(ref a0, ref a1, ref a2, ref a3, ref br, k, n, j, ref block);
                }

                for (; j <= n - Vector128<float>.Count; j += Vector128<float>.Count)
                {
                    Tile4x1V128(ref a0, ref a1, ref a2, ref a3, ref br, k, n, j, ref block);
                }
            }

            for (; j < n; j++)
            {
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int p = 0; p < k; p++)
                {
                    float bv = Unsafe.Add(ref br, ((nint)p * n) + j);
                    s0 += Unsafe.Add(ref a0, p) * bv;
                    s1 += Unsafe.Add(ref a1, p) * bv;
                    s2 += Unsafe.Add(ref a2, p) * bv;
                    s3 += Unsafe.Add(ref a3, p) * bv;
                }

                block.Store(0, j, s0);
                block.Store(1, j, s1);
                block.Store(2, j, s2);
                block.Store(3, j, s3);
            }
        }
    }

    private static void Tile4x2V256(ref float a0, ref float a1, ref float a2, ref float a3, ref float b, int k, int n, int j, ref RowBlock y)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        ref float bj = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref bj, (nint)p * n);
            Vector256<float> b0 = Vector256.LoadUnsafe(ref bp);
            Vector256<float> b1 = Vector256.LoadUnsafe(ref bp, (nuint)Vector256<float>.Count);
            Vector256<float> v = Vector256.Create(Unsafe.Add(ref a0, p));
            c00 = Simd.MulAdd(v, b0, c00);
            c01 = Simd.MulAdd(v, b1, c01);
            v = Vector256.Create(Unsafe.Add(ref a1, p));
            c10 = Simd.MulAdd(v, b0, c10);
            c11 = Simd.MulAdd(v, b1, c11);
            v = Vector256.Create(Unsafe.Add(ref a2, p));
            c20 = Simd.MulAdd(v, b0, c20);
            c21 = Simd.MulAdd(v, b1, c21);
            v = Vector256.Create(Unsafe.Add(ref a3, p));
            c30 = Simd.MulAdd(v, b0, c30);
            c31 = Simd.MulAdd(v, b1, c31);
        }

        int j1 = j + Vector256<float>.Count;
        y.Store(0, j, c00);
        y.Store(0, j1, c01);
        y.Store(1, j, c10);
        y.Store(1, j1, c11);
        y.Store(2, j, c20);
        y.Store(2, j1, c21);
        y.Store(3, j, c30);
        y.Store(3, j1, c31);
    }

    private static void Tile4x1V256(ref float a0, ref float a1, ref float a2, ref float a3, ref float b, int k, int n, int j, ref RowBlock y)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        ref float bj = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bj, (nint)p * n));
            c0 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref a0, p)), b0, c0);
            c1 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref a1, p)), b0, c1);
            c2 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref a2, p)), b0, c2);
            c3 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref a3, p)), b0, c3);
        }

        y.Store(0, j, c0);
        y.Store(1, j, c1);
        y.Store(2, j, c2);
        y.Store(3, j, c3);
    }

    private static void Tile4x2V128(ref float a0, ref float a1, ref float a2, ref float a3, ref float b, int k, int n, int j, ref RowBlock y)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default, c30 = default, c31 = default;
        ref float bj = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref bj, (nint)p * n);
            Vector128<float> b0 = Vector128.LoadUnsafe(ref bp);
            Vector128<float> b1 = Vector128.LoadUnsafe(ref bp, (nuint)Vector128<float>.Count);
            Vector128<float> v = Vector128.Create(Unsafe.Add(ref a0, p));
            c00 = Simd.MulAdd(v, b0, c00);
            c01 = Simd.MulAdd(v, b1, c01);
            v = Vector128.Create(Unsafe.Add(ref a1, p));
            c10 = Simd.MulAdd(v, b0, c10);
            c11 = Simd.MulAdd(v, b1, c11);
            v = Vector128.Create(Unsafe.Add(ref a2, p));
            c20 = Simd.MulAdd(v, b0, c20);
            c21 = Simd.MulAdd(v, b1, c21);
            v = Vector128.Create(Unsafe.Add(ref a3, p));
            c30 = Simd.MulAdd(v, b0, c30);
            c31 = Simd.MulAdd(v, b1, c31);
        }

        int j1 = j + Vector128<float>.Count;
        y.Store(0, j, c00);
        y.Store(0, j1, c01);
        y.Store(1, j, c10);
        y.Store(1, j1, c11);
        y.Store(2, j, c20);
        y.Store(2, j1, c21);
        y.Store(3, j, c30);
        y.Store(3, j1, c31);
    }

    private static void Tile4x1V128(ref float a0, ref float a1, ref float a2, ref float a3, ref float b, int k, int n, int j, ref RowBlock y)
    {
        Vector128<float> c0 = default, c1 = default, c2 = default, c3 = default;
        ref float bj = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            Vector128<float> b0 = Vector128.LoadUnsafe(ref Unsafe.Add(ref bj, (nint)p * n));
            c0 = Simd.MulAdd(Vector128.Create(Unsafe.Add(ref a0, p)), b0, c0);
            c1 = Simd.MulAdd(Vector128.Create(Unsafe.Add(ref a1, p)), b0, c1);
            c2 = Simd.MulAdd(Vector128.Create(Unsafe.Add(ref a2, p)), b0, c2);
            c3 = Simd.MulAdd(Vector128.Create(Unsafe.Add(ref a3, p)), b0, c3);
        }

        y.Store(0, j, c0);
        y.Store(1, j, c1);
        y.Store(2, j, c2);
        y.Store(3, j, c3);
    }

    /// <summary>Up to 4 output rows of a MatMul tile; stores to rows at or beyond <see cref="_rows"/> are dropped.</summary>
    private readonly ref struct RowBlock
    {
        private readonly ref float _y;
        private readonly int _n;
        private readonly int _rows;

        public RowBlock(ref float y, nint offset, int n, int rows)
        {
            _y = ref Unsafe.Add(ref y, offset);
            _n = n;
            _rows = rows;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int row, int j, Vector256<float> v)
        {
            if (row < _rows)
            {
                v.StoreUnsafe(ref Unsafe.Add(ref _y, ((nint)row * _n) + j));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int row, int j, Vector128<float> v)
        {
            if (row < _rows)
            {
                v.StoreUnsafe(ref Unsafe.Add(ref _y, ((nint)row * _n) + j));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int row, int j, float v)
        {
            if (row < _rows)
            {
                Unsafe.Add(ref _y, ((nint)row * _n) + j) = v;
            }
        }
    }
}
