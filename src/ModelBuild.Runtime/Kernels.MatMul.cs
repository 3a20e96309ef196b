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
    /// one and does not store them (cheaper than a second kernel). Columns left over run 1 vector, then narrower
    /// registers, then scalar: one generic tile per shape (<see cref="IVectorWidth{TV}"/>) serves every width.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void MatMul(SimdLevel level, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int m, int k, int n)
    {
        MatMulBody(level, a, b, y, m, k, n);
    }

    // MatMul's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MatMulBody(SimdLevel level, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int m, int k, int n)
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
                j = Columns<Vector256Width, Vector256<float>>(ref a0, ref a1, ref a2, ref a3, ref br, k, n, j, ref block);
            }

            if (level != SimdLevel.Scalar)
            {
                j = Columns<Vector128Width, Vector128<float>>(ref a0, ref a1, ref a2, ref a3, ref br, k, n, j, ref block);
            }

            Columns<ScalarWidth, float>(ref a0, ref a1, ref a2, ref a3, ref br, k, n, j, ref block);
        }
    }

    /// <summary>The columns from <paramref name="j"/> on, 2 then 1 registers wide; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Columns<W, TV>(ref float a0, ref float a1, ref float a2, ref float a3, ref float b, int k, int n, int j, ref RowBlock y)
        where W : IVectorWidth<TV>
        where TV : struct
    {
        return ColumnsBody<W, TV>(ref a0, ref a1, ref a2, ref a3, ref b, k, n, j, ref y);
    }

    // Columns's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ColumnsBody<W, TV>(ref float a0, ref float a1, ref float a2, ref float a3, ref float b, int k, int n, int j, ref RowBlock y)
        where W : IVectorWidth<TV>
        where TV : struct
    {
        for (; j <= n - (2 * W.Count); j += 2 * W.Count)
        {
            Tile4x2<W, TV>(ref a0, ref a1, ref a2, ref a3, ref b, k, n, j, ref y);
        }

        for (; j <= n - W.Count; j += W.Count)
        {
            Tile4x1<W, TV>(ref a0, ref a1, ref a2, ref a3, ref b, k, n, j, ref y);
        }

        return j;
    }

    private static void Tile4x2<W, TV>(ref float a0, ref float a1, ref float a2, ref float a3, ref float b, int k, int n, int j, ref RowBlock y)
        where W : IVectorWidth<TV>
        where TV : struct
    {
        TV c00 = default, c01 = default, c10 = default, c11 = default;
        TV c20 = default, c21 = default, c30 = default, c31 = default;
        ref float bj = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref bj, (nint)p * n);
            TV b0 = W.Load(ref bp, 0);
            TV b1 = W.Load(ref bp, W.Count);
            TV v = W.Broadcast(Unsafe.Add(ref a0, p));
            c00 = W.MulAdd(v, b0, c00);
            c01 = W.MulAdd(v, b1, c01);
            v = W.Broadcast(Unsafe.Add(ref a1, p));
            c10 = W.MulAdd(v, b0, c10);
            c11 = W.MulAdd(v, b1, c11);
            v = W.Broadcast(Unsafe.Add(ref a2, p));
            c20 = W.MulAdd(v, b0, c20);
            c21 = W.MulAdd(v, b1, c21);
            v = W.Broadcast(Unsafe.Add(ref a3, p));
            c30 = W.MulAdd(v, b0, c30);
            c31 = W.MulAdd(v, b1, c31);
        }

        int j1 = j + W.Count;
        y.Store<W, TV>(0, j, c00);
        y.Store<W, TV>(0, j1, c01);
        y.Store<W, TV>(1, j, c10);
        y.Store<W, TV>(1, j1, c11);
        y.Store<W, TV>(2, j, c20);
        y.Store<W, TV>(2, j1, c21);
        y.Store<W, TV>(3, j, c30);
        y.Store<W, TV>(3, j1, c31);
    }

    private static void Tile4x1<W, TV>(ref float a0, ref float a1, ref float a2, ref float a3, ref float b, int k, int n, int j, ref RowBlock y)
        where W : IVectorWidth<TV>
        where TV : struct
    {
        TV c0 = default, c1 = default, c2 = default, c3 = default;
        ref float bj = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            TV b0 = W.Load(ref bj, (nint)p * n);
            c0 = W.MulAdd(W.Broadcast(Unsafe.Add(ref a0, p)), b0, c0);
            c1 = W.MulAdd(W.Broadcast(Unsafe.Add(ref a1, p)), b0, c1);
            c2 = W.MulAdd(W.Broadcast(Unsafe.Add(ref a2, p)), b0, c2);
            c3 = W.MulAdd(W.Broadcast(Unsafe.Add(ref a3, p)), b0, c3);
        }

        y.Store<W, TV>(0, j, c0);
        y.Store<W, TV>(1, j, c1);
        y.Store<W, TV>(2, j, c2);
        y.Store<W, TV>(3, j, c3);
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
        public void Store<W, TV>(int row, int j, TV v)
            where W : IVectorWidth<TV>
            where TV : struct
        {
            if (row < _rows)
            {
                W.Store(v, ref _y, ((nint)row * _n) + j);
            }
        }
    }
}
