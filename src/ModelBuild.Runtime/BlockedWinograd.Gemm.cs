using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime;

internal static partial class BlockedWinograd
{
    /// <summary>Tiles (GEMM rows) per register tile.</summary>
    private const int RowsPerTile = 6;

    /// <summary>
    /// <c>M[t, oc] = Σ_{c &lt; C} V[t, c]·U[c, oc]</c> for one ξ: <paramref name="tiles"/> rows of V (<paramref name="cp"/>
    /// floats apart), U as panels of 2 vectors of output channels (<see cref="Pack{TF}"/>), M rows <paramref name="ocp"/>
    /// floats apart. Panels outer, so a panel (C × 16 floats, 2 KB at C = 32) stays in L1 while all tiles pass over it.
    /// Every M element is one FMA chain over c from 0, whichever row block its tile falls in, so the chunking (and so the
    /// batch size and thread split) does not change its bits. Only the panels of output channels [oc0, oc1) (multiples of
    /// the panel width, 2 vectors) are computed: a thread's share at batch 1 (<see cref="RunSplit"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Gemm<TV, TW>(ref float v, int tiles, int cp, int c, ref float u, int ocp, ref float m, int oc0, int oc1)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        GemmBody<TV, TW>(ref v, tiles, cp, c, ref u, ocp, ref m, oc0, oc1);
    }

    // Gemm's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GemmBody<TV, TW>(ref float v, int tiles, int cp, int c, ref float u, int ocp, ref float m, int oc0, int oc1)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int nr = 2 * TW.Count;
        for (int p0 = oc0; p0 < oc1; p0 += nr)
        {
            ref float panel = ref Unsafe.Add(ref u, (nint)p0 * c);
            for (int t0 = 0; t0 < tiles; t0 += RowsPerTile)
            {
                Tile<TV, TW>(ref v, t0, tiles, cp, c, ref panel, nr, ref Unsafe.Add(ref m, p0), ocp);
            }
        }
    }

    /// <summary>
    /// 6 tiles × 2 vectors of channels: 12 accumulators, 2 loads and 6 broadcasts per input channel (16 registers on
    /// AVX2). Rows past the last tile repeat it; they are computed and not stored. U's rows are <paramref name="uStride"/>
    /// floats apart: 2 vectors, or <see cref="ZmmPanel"/> when this tile computes half of a 512-bit panel.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tile<TV, TW>(ref float v, int t0, int tiles, int cp, int c, ref float u, int uStride, ref float m, int ocp)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        TileBody<TV, TW>(ref v, t0, tiles, cp, c, ref u, uStride, ref m, ocp);
    }

    // Tile's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileBody<TV, TW>(ref float v, int t0, int tiles, int cp, int c, ref float u, int uStride, ref float m, int ocp)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int last = tiles - 1, lanes = TW.Count;
        ref float r0 = ref Unsafe.Add(ref v, (nint)t0 * cp);
        ref float r1 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 1, last) * cp);
        ref float r2 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 2, last) * cp);
        ref float r3 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 3, last) * cp);
        ref float r4 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 4, last) * cp);
        ref float r5 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 5, last) * cp);
        TV a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        TV b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        for (int k = 0; k < c; k++)
        {
            TV w0 = TW.Load(ref u, 0), w1 = TW.Load(ref u, lanes);
            TV x = TW.Broadcast(Unsafe.Add(ref r0, k));
            a0 = TW.MulAdd(x, w0, a0);
            b0 = TW.MulAdd(x, w1, b0);
            x = TW.Broadcast(Unsafe.Add(ref r1, k));
            a1 = TW.MulAdd(x, w0, a1);
            b1 = TW.MulAdd(x, w1, b1);
            x = TW.Broadcast(Unsafe.Add(ref r2, k));
            a2 = TW.MulAdd(x, w0, a2);
            b2 = TW.MulAdd(x, w1, b2);
            x = TW.Broadcast(Unsafe.Add(ref r3, k));
            a3 = TW.MulAdd(x, w0, a3);
            b3 = TW.MulAdd(x, w1, b3);
            x = TW.Broadcast(Unsafe.Add(ref r4, k));
            a4 = TW.MulAdd(x, w0, a4);
            b4 = TW.MulAdd(x, w1, b4);
            x = TW.Broadcast(Unsafe.Add(ref r5, k));
            a5 = TW.MulAdd(x, w0, a5);
            b5 = TW.MulAdd(x, w1, b5);
            u = ref Unsafe.Add(ref u, uStride);
        }

        int rows = Math.Min(RowsPerTile, tiles - t0);
        ref float y = ref Unsafe.Add(ref m, (nint)t0 * ocp);
        TW.Store(a0, ref y, 0);
        TW.Store(b0, ref y, lanes);
        if (rows > 1)
        {
            TW.Store(a1, ref y, ocp);
            TW.Store(b1, ref y, ocp + lanes);
        }

        if (rows > 2)
        {
            TW.Store(a2, ref y, 2 * ocp);
            TW.Store(b2, ref y, (2 * ocp) + lanes);
        }

        if (rows > 3)
        {
            TW.Store(a3, ref y, 3 * ocp);
            TW.Store(b3, ref y, (3 * ocp) + lanes);
        }

        if (rows > 4)
        {
            TW.Store(a4, ref y, 4 * ocp);
            TW.Store(b4, ref y, (4 * ocp) + lanes);
        }

        if (rows > 5)
        {
            TW.Store(a5, ref y, 5 * ocp);
            TW.Store(b5, ref y, (5 * ocp) + lanes);
        }
    }
}
