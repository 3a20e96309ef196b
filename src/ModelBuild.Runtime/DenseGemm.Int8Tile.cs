using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime;

/// <summary>
/// The int8-panel GEMM's first row block of each panel's K block: <see cref="Tile6x2{TW, TV}"/> reading the panel's
/// int8 codes, widening them to floats (the codes themselves: the channel scales are applied once per output by the
/// epilogue, <see cref="TileEpilogue.Scale"/>) and storing them to the thread's panel scratch for the later row
/// blocks, as <see cref="Widen"/> does. The widening then runs in the ports the tile's FMAs leave idle instead of in a
/// pass of its own before the tiles: that pass was 5–7 % of the wide MLP at batch 64 (1024-wide int8 layers, `perf`,
/// Zen 5, AVX2).
/// </summary>
/// <remarks>
/// A copy of the 6 × 2 tile's shape rather than that tile made generic over where its rows come from: a row source as
/// a static abstract member of a third type parameter is a call crossgen2 cannot inline, so ReadyToRun left both tiles
/// to the JIT (ReadyToRunCoverageTests), a cost in every process's first batched prediction.
/// </remarks>
internal static partial class DenseGemm
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tile6x2Int8<TW, TV>(ref float x, nint ldx, int rows, ref sbyte codes, nint nr, int kc, ref float widened,
        ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        Tile6x2Int8Body<TW, TV>(ref x, ldx, rows, ref codes, nr, kc, ref widened, ref c, ldc, accumulate, epilogue, ref bias, ref scale);
    }

    // Tile6x2Int8's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile6x2Int8Body<TW, TV>(ref float x, nint ldx, int rows, ref sbyte codes, nint nr, int kc, ref float widened,
        ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        // Rows 0–4 are always stored: callers pass 5 or 6 live rows (TileUpTo6x2 sends fewer to Tile4x2).
        System.Diagnostics.Debug.Assert(rows > 4, "the 6-row tile needs 5 or 6 live rows");
        ref float x0 = ref x;
        ref float x1 = ref Unsafe.Add(ref x, Math.Min(1, rows - 1) * ldx);
        ref float x2 = ref Unsafe.Add(ref x, Math.Min(2, rows - 1) * ldx);
        ref float x3 = ref Unsafe.Add(ref x, Math.Min(3, rows - 1) * ldx);
        ref float x4 = ref Unsafe.Add(ref x, Math.Min(4, rows - 1) * ldx);
        ref float x5 = ref Unsafe.Add(ref x, Math.Min(5, rows - 1) * ldx);
        TV a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        TV b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        ref byte q = ref Unsafe.As<sbyte, byte>(ref codes);
        ref float w = ref widened;
        for (nint k = 0; k < kc; k++)
        {
            TV wa = TW.LoadWeights<Int8Loader>(ref q, 0);
            TV wb = TW.LoadWeights<Int8Loader>(ref q, TW.Count);
            TW.Store(wa, ref w, 0);
            TW.Store(wb, ref w, TW.Count);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x0, k), ref a0, ref b0);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x1, k), ref a1, ref b1);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x2, k), ref a2, ref b2);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x3, k), ref a3, ref b3);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x4, k), ref a4, ref b4);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x5, k), ref a5, ref b5);
            q = ref Unsafe.Add(ref q, nr);
            w = ref Unsafe.Add(ref w, nr);
        }

        Put<TW, TV>(a0, b0, ref c, accumulate, epilogue, ref bias, ref scale);
        Put<TW, TV>(a1, b1, ref Unsafe.Add(ref c, ldc), accumulate, epilogue, ref bias, ref scale);
        Put<TW, TV>(a2, b2, ref Unsafe.Add(ref c, 2 * ldc), accumulate, epilogue, ref bias, ref scale);
        Put<TW, TV>(a3, b3, ref Unsafe.Add(ref c, 3 * ldc), accumulate, epilogue, ref bias, ref scale);
        Put<TW, TV>(a4, b4, ref Unsafe.Add(ref c, 4 * ldc), accumulate, epilogue, ref bias, ref scale);
        if (rows > 5)
        {
            Put<TW, TV>(a5, b5, ref Unsafe.Add(ref c, 5 * ldc), accumulate, epilogue, ref bias, ref scale);
        }
    }
}
