using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// The register tiles of <see cref="DenseGemm"/>: MR input rows × NR output channels, accumulated over one K block.
/// Per k a tile loads NR packed weights (two vectors, <c>panel[k][NR]</c>) and broadcasts one x value per row, then
/// runs 2·MR independent FMAs. Rows come straight from the caller's row-major x (no packing of A: broadcasts read
/// one float per row, and MR sequential streams suit the prefetcher). Rows past the last real row repeat it
/// (<c>rows</c> clamps the pointers); the caller discards those results, so no input is read out of range.
/// </summary>
internal static partial class DenseGemm
{
    /// <summary>
    /// 6 rows × 2 vectors (AVX2: 6 × 16, SSE/NEON: 6 × 8): 12 accumulators + 2 weight vectors + 1 broadcast = 15 of
    /// the 16 registers, and 12 independent FMA chains, enough to hide the FMA latency on two pipes. The panel's rows
    /// are <c>nr</c> floats apart: two vectors, or 32 when the tile computes half of a 512-bit panel (<see cref="Tile8x2Zmm(ref float, nint, int, ref float, int, ref float, nint, bool, TileEpilogue, ref float, ref float)"/>'s twin).
    /// <c>c[r·ldc + n] (+)= Σ_{k&lt;kc} x[r·ldx + k]·panel[k·NR + n]</c> for r &lt; 6, n &lt; NR. The k loop is unrolled
    /// twice (same order of FMAs per accumulator): 4–8 % faster at batch 64 on Zen 3 (`quick` A/B, interleaved rounds).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Tile6x2<TW, TV>(ref float x, nint ldx, int rows, ref float panel, nint nr, int kc, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        Tile6x2Body<TW, TV>(ref x, ldx, rows, ref panel, nr, kc, ref c, ldc, accumulate, epilogue, ref bias, ref scale);
    }

    // Tile6x2's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile6x2Body<TW, TV>(ref float x, nint ldx, int rows, ref float panel, nint nr, int kc, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
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
        ref float w = ref panel;
        nint k = 0;
        for (; k + 1 < kc; k += 2)
        {
            TV wa = TW.Load(ref w, 0);
            TV wb = TW.Load(ref w, TW.Count);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x0, k), ref a0, ref b0);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x1, k), ref a1, ref b1);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x2, k), ref a2, ref b2);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x3, k), ref a3, ref b3);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x4, k), ref a4, ref b4);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x5, k), ref a5, ref b5);

            wa = TW.Load(ref w, nr);
            wb = TW.Load(ref w, nr + TW.Count);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x0, k + 1), ref a0, ref b0);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x1, k + 1), ref a1, ref b1);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x2, k + 1), ref a2, ref b2);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x3, k + 1), ref a3, ref b3);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x4, k + 1), ref a4, ref b4);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x5, k + 1), ref a5, ref b5);
            w = ref Unsafe.Add(ref w, 2 * nr);
        }

        if (k < kc)
        {
            TV wa = TW.Load(ref w, 0);
            TV wb = TW.Load(ref w, TW.Count);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x0, k), ref a0, ref b0);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x1, k), ref a1, ref b1);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x2, k), ref a2, ref b2);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x3, k), ref a3, ref b3);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x4, k), ref a4, ref b4);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x5, k), ref a5, ref b5);
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

    /// <summary>Up to 6 rows × 2 vectors: <see cref="Tile6x2{TW, TV}"/>, or <see cref="Tile4x2{TW, TV}"/> for a tail of ≤ 4 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TileUpTo6x2<TW, TV>(ref float x, nint ldx, int rows, ref float panel, nint nr, int kc, ref float c, nint ldc, bool accumulate)
        where TW : struct, IVectorWidth<TV>
        where TV : struct =>
        TileUpTo6x2<TW, TV>(ref x, ldx, rows, ref panel, nr, kc, ref c, ldc, accumulate, TileEpilogue.None, ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>());

    /// <summary>
    /// <see cref="TileUpTo6x2{TW, TV}(ref float, nint, int, ref float, nint, int, ref float, nint, bool)"/> with an
    /// epilogue on the stored sums (a call's last K block; <paramref name="bias"/>: the panel's NR biases).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TileUpTo6x2<TW, TV>(ref float x, nint ldx, int rows, ref float panel, nint nr, int kc, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        if (rows > 4)
        {
            Tile6x2<TW, TV>(ref x, ldx, rows, ref panel, nr, kc, ref c, ldc, accumulate, epilogue, ref bias, ref scale);
        }
        else
        {
            Tile4x2<TW, TV>(ref x, ldx, rows, ref panel, nr, kc, ref c, ldc, accumulate, epilogue, ref bias, ref scale);
        }
    }

    /// <summary>
    /// The tail tile: up to 4 rows × 2 vectors (8 accumulators, still enough independent FMAs for two pipes), for the
    /// last 1–4 rows of a call so a 64-row batch (10 × 6 + 4) does not spend a third of its last tile on repeated rows.
    /// Same sums as <see cref="Tile6x2{TW, TV}"/> row for row.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Tile4x2<TW, TV>(ref float x, nint ldx, int rows, ref float panel, nint nr, int kc, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        Tile4x2Body<TW, TV>(ref x, ldx, rows, ref panel, nr, kc, ref c, ldc, accumulate, epilogue, ref bias, ref scale);
    }

    // Tile4x2's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x2Body<TW, TV>(ref float x, nint ldx, int rows, ref float panel, nint nr, int kc, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        ref float x0 = ref x;
        ref float x1 = ref Unsafe.Add(ref x, Math.Min(1, rows - 1) * ldx);
        ref float x2 = ref Unsafe.Add(ref x, Math.Min(2, rows - 1) * ldx);
        ref float x3 = ref Unsafe.Add(ref x, Math.Min(3, rows - 1) * ldx);
        TV a0 = default, a1 = default, a2 = default, a3 = default;
        TV b0 = default, b1 = default, b2 = default, b3 = default;
        ref float w = ref panel;
        for (nint k = 0; k < kc; k++)
        {
            TV wa = TW.Load(ref w, 0);
            TV wb = TW.Load(ref w, TW.Count);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x0, k), ref a0, ref b0);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x1, k), ref a1, ref b1);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x2, k), ref a2, ref b2);
            Step<TW, TV>(wa, wb, Unsafe.Add(ref x3, k), ref a3, ref b3);
            w = ref Unsafe.Add(ref w, nr);
        }

        // Only the live rows: a tile may then store straight into a caller's output of exactly `rows` rows.
        Put<TW, TV>(a0, b0, ref c, accumulate, epilogue, ref bias, ref scale);
        if (rows > 1)
        {
            Put<TW, TV>(a1, b1, ref Unsafe.Add(ref c, ldc), accumulate, epilogue, ref bias, ref scale);
        }

        if (rows > 2)
        {
            Put<TW, TV>(a2, b2, ref Unsafe.Add(ref c, 2 * ldc), accumulate, epilogue, ref bias, ref scale);
        }

        if (rows > 3)
        {
            Put<TW, TV>(a3, b3, ref Unsafe.Add(ref c, 3 * ldc), accumulate, epilogue, ref bias, ref scale);
        }
    }

    /// <summary>
    /// 8 rows × 32 channels with 512-bit vectors: 16 accumulators, 2 weight vectors and a broadcast of the 32
    /// registers; 10 loads per 16 FMAs. 8 rows divide the usual batches (8, 16, 64) without a wasted tail, and 32
    /// channels divide the usual layer widths; a taller tile (14 × 32) would waste up to 13 rows per call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x2Zmm(ref float x, nint ldx, int rows, ref float panel, int kc, ref float c, nint ldc, bool accumulate) =>
        Tile8x2Zmm(ref x, ldx, rows, ref panel, kc, ref c, ldc, accumulate, TileEpilogue.None, ref Unsafe.NullRef<float>(), ref Unsafe.NullRef<float>());

    /// <summary><see cref="Tile8x2Zmm(ref float, nint, int, ref float, int, ref float, nint, bool)"/> with an epilogue (see <see cref="TileEpilogue"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x2Zmm(ref float x, nint ldx, int rows, ref float panel, int kc, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
    {
        ref float x0 = ref x;
        ref float x1 = ref Unsafe.Add(ref x, Math.Min(1, rows - 1) * ldx);
        ref float x2 = ref Unsafe.Add(ref x, Math.Min(2, rows - 1) * ldx);
        ref float x3 = ref Unsafe.Add(ref x, Math.Min(3, rows - 1) * ldx);
        ref float x4 = ref Unsafe.Add(ref x, Math.Min(4, rows - 1) * ldx);
        ref float x5 = ref Unsafe.Add(ref x, Math.Min(5, rows - 1) * ldx);
        ref float x6 = ref Unsafe.Add(ref x, Math.Min(6, rows - 1) * ldx);
        ref float x7 = ref Unsafe.Add(ref x, Math.Min(7, rows - 1) * ldx);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        ref float w = ref panel;
        for (nint k = 0; k < kc; k++)
        {
            Vector512<float> wa = Vector512.LoadUnsafe(ref w);
            Vector512<float> wb = Vector512.LoadUnsafe(ref w, 16);
            Step(wa, wb, Unsafe.Add(ref x0, k), ref a0, ref b0);
            Step(wa, wb, Unsafe.Add(ref x1, k), ref a1, ref b1);
            Step(wa, wb, Unsafe.Add(ref x2, k), ref a2, ref b2);
            Step(wa, wb, Unsafe.Add(ref x3, k), ref a3, ref b3);
            Step(wa, wb, Unsafe.Add(ref x4, k), ref a4, ref b4);
            Step(wa, wb, Unsafe.Add(ref x5, k), ref a5, ref b5);
            Step(wa, wb, Unsafe.Add(ref x6, k), ref a6, ref b6);
            Step(wa, wb, Unsafe.Add(ref x7, k), ref a7, ref b7);
            w = ref Unsafe.Add(ref w, 32);
        }

        Put(a0, b0, ref c, accumulate, epilogue, ref bias, ref scale);
        if (rows > 1)
        {
            Put(a1, b1, ref Unsafe.Add(ref c, ldc), accumulate, epilogue, ref bias, ref scale);
        }

        if (rows > 2)
        {
            Put(a2, b2, ref Unsafe.Add(ref c, 2 * ldc), accumulate, epilogue, ref bias, ref scale);
        }

        if (rows > 3)
        {
            Put(a3, b3, ref Unsafe.Add(ref c, 3 * ldc), accumulate, epilogue, ref bias, ref scale);
        }

        if (rows > 4)
        {
            Put(a4, b4, ref Unsafe.Add(ref c, 4 * ldc), accumulate, epilogue, ref bias, ref scale);
        }

        if (rows > 5)
        {
            Put(a5, b5, ref Unsafe.Add(ref c, 5 * ldc), accumulate, epilogue, ref bias, ref scale);
        }

        if (rows > 6)
        {
            Put(a6, b6, ref Unsafe.Add(ref c, 6 * ldc), accumulate, epilogue, ref bias, ref scale);
        }

        if (rows > 7)
        {
            Put(a7, b7, ref Unsafe.Add(ref c, 7 * ldc), accumulate, epilogue, ref bias, ref scale);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(Vector512<float> wa, Vector512<float> wb, float x, ref Vector512<float> a, ref Vector512<float> b)
    {
        Vector512<float> v = Vector512.Create(x);
        a = Vector512.FusedMultiplyAdd(wa, v, a);
        b = Vector512.FusedMultiplyAdd(wb, v, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TW, TV>(TV wa, TV wb, float x, ref TV a, ref TV b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        TV v = TW.Broadcast(x);
        a = TW.MulAdd(wa, v, a);
        b = TW.MulAdd(wb, v, b);
    }

    // A later K block adds its partial sums to the earlier ones: the same order for every split, so results do
    // not depend on the thread count. The epilogue then adds the bias and applies ReLU in the order the separate
    // pass (Finish) does, so a fused call gives the same bits as one through the accumulator.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TW, TV>(TV a, TV b, ref float c, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        if (accumulate)
        {
            a = TW.Add(a, TW.Load(ref c, 0));
            b = TW.Add(b, TW.Load(ref c, TW.Count));
        }

        if ((epilogue & TileEpilogue.Scale) != 0)
        {
            TV ba = (epilogue & TileEpilogue.Bias) != 0 ? TW.Load(ref bias, 0) : TW.Broadcast(0);
            TV bb = (epilogue & TileEpilogue.Bias) != 0 ? TW.Load(ref bias, TW.Count) : TW.Broadcast(0);
            a = TW.MulAdd(a, TW.Load(ref scale, 0), ba);
            b = TW.MulAdd(b, TW.Load(ref scale, TW.Count), bb);
        }
        else if ((epilogue & TileEpilogue.Bias) != 0)
        {
            a = TW.Add(a, TW.Load(ref bias, 0));
            b = TW.Add(b, TW.Load(ref bias, TW.Count));
        }

        if ((epilogue & TileEpilogue.Relu) != 0)
        {
            a = TW.Relu(a);
            b = TW.Relu(b);
        }

        TW.Store(a, ref c, 0);
        TW.Store(b, ref c, TW.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector512<float> a, Vector512<float> b, ref float c, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
    {
        if (accumulate)
        {
            a += Vector512.LoadUnsafe(ref c);
            b += Vector512.LoadUnsafe(ref c, 16);
        }

        if ((epilogue & TileEpilogue.Scale) != 0)
        {
            Vector512<float> ba = (epilogue & TileEpilogue.Bias) != 0 ? Vector512.LoadUnsafe(ref bias) : Vector512<float>.Zero;
            Vector512<float> bb = (epilogue & TileEpilogue.Bias) != 0 ? Vector512.LoadUnsafe(ref bias, 16) : Vector512<float>.Zero;
            a = Vector512.FusedMultiplyAdd(a, Vector512.LoadUnsafe(ref scale), ba);
            b = Vector512.FusedMultiplyAdd(b, Vector512.LoadUnsafe(ref scale, 16), bb);
        }
        else if ((epilogue & TileEpilogue.Bias) != 0)
        {
            a += Vector512.LoadUnsafe(ref bias);
            b += Vector512.LoadUnsafe(ref bias, 16);
        }

        if ((epilogue & TileEpilogue.Relu) != 0)
        {
            a = Simd.Relu(a);
            b = Simd.Relu(b);
        }

        a.StoreUnsafe(ref c);
        b.StoreUnsafe(ref c, 16);
    }
}

/// <summary>
/// What a GEMM register tile does to its sums before storing them, on a call's last K block: scale them per channel
/// (int8 panels hold codes), add the panel's NR biases (one FMA with the scale), then ReLU (<see cref="DenseGemm"/>
/// fuses these when its output rows are whole panels, instead of a pass over an accumulator).
/// </summary>
[Flags]
internal enum TileEpilogue
{
    /// <summary>Store the sums as they are.</summary>
    None = 0,

    /// <summary>Add the bias of each channel.</summary>
    Bias = 1,

    /// <summary>Then max(v, 0).</summary>
    Relu = 2,

    /// <summary>First multiply by each channel's scale (<c>v·scale + bias</c> as one FMA with <see cref="Bias"/>).</summary>
    Scale = 4,
}
