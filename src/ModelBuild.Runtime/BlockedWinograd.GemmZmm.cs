using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

internal static partial class BlockedWinograd
{
    /// <summary>Output channels per panel of the 512-bit GEMM (two 16-float vectors).</summary>
    private const int ZmmPanel = 32;

    /// <summary>Whether AVX-512 hardware runs the α² GEMMs 512 bits wide (false: the 256-bit tile; tests' and benchmarks' A/B).</summary>
    internal static bool ZmmGemm { get; set; } = true;

    /// <summary>
    /// The GEMM panel width for <paramref name="s"/> at width <typeparamref name="TW"/>: 32 output channels (the 512-bit
    /// tile) on AVX-512 hardware at the 256-bit level when that makes at least two panels (a batch-1 thread split, which
    /// hands out whole panels, still has two parts) and padding OC to a multiple of 32 adds at most a quarter; otherwise
    /// two vectors (OC ≤ 32, 48, and other widths such as 19 or 36). One rule for the batched and the split path, so the
    /// weights are packed once. Only the GEMM changes width: the transforms keep their blocks of 8 channels, and each M
    /// element stays one FMA chain over c from 0, so both widths give the same bits.
    /// </summary>
    private static int GemmPanel<TV, TW>(in Conv2DShape s)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int padded = (s.OC + ZmmPanel - 1) / ZmmPanel * ZmmPanel;
        bool zmm = TW.Count == Vector256<float>.Count && Wide512.Enabled && ZmmGemm && padded >= 2 * ZmmPanel && 4 * (padded - s.OC) <= s.OC;
        return zmm ? ZmmPanel : 2 * TW.Count;
    }

    /// <summary>
    /// GEMM multiply-adds (tiles × C × output channels) a process runs through the precompiled 256-bit tile over the
    /// 32-channel panels before it turns to <see cref="TileZmm"/>, which has no ReadyToRun code on AVX-512 processors and
    /// costs about 1.6 ms of JIT: about the time the 512-bit tile saves over 150 M multiply-adds, so small models
    /// (squeezenet_cifar10, 16 M a prediction) never pay it and long-running ones do early (the rule of
    /// <see cref="ConvGemm.ZmmAfterMacs"/>). Both compute every M element as the same FMA chain over c, so the switch
    /// changes no bit.
    /// </summary>
    internal static long ZmmAfterMacs { get => s_zmm.AfterMacs; set => s_zmm.AfterMacs = value; }

    private static readonly ZmmSwitch s_zmm = new(150_000_000);

    /// <summary><see cref="Gemm{TV, TW}"/> over panels of <paramref name="panel"/> channels: the 512-bit tile for <see cref="ZmmPanel"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PanelGemm<TV, TW>(int panel, ref float v, int tiles, int cp, int c, ref float u, int ocp, ref float m, int oc0, int oc1)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        PanelGemmBody<TV, TW>(panel, ref v, tiles, cp, c, ref u, ocp, ref m, oc0, oc1);
    }

    // PanelGemm's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PanelGemmBody<TV, TW>(int panel, ref float v, int tiles, int cp, int c, ref float u, int ocp, ref float m, int oc0, int oc1)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        if (panel != ZmmPanel)
        {
            Gemm<TV, TW>(ref v, tiles, cp, c, ref u, ocp, ref m, oc0, oc1);
            return;
        }

        bool zmm = s_zmm.Hot((long)tiles * c * (oc1 - oc0));
        for (int p0 = oc0; p0 < oc1; p0 += ZmmPanel)
        {
            ref float panelStart = ref Unsafe.Add(ref u, (nint)p0 * c);
            if (!zmm)
            {
                // Still cold: each half of the panel through the precompiled 256-bit tile (panel rows 32 floats apart).
                for (int half = 0; half < ZmmPanel; half += ZmmPanel / 2)
                {
                    for (int t0 = 0; t0 < tiles; t0 += RowsPerTile)
                    {
                        Tile<TV, TW>(ref v, t0, tiles, cp, c, ref Unsafe.Add(ref panelStart, half), ZmmPanel, ref Unsafe.Add(ref m, p0 + half), ocp);
                    }
                }

                continue;
            }

            for (int t0 = 0; t0 < tiles; t0 += RowsPerTile)
            {
                TileZmm(ref v, t0, tiles, cp, c, ref panelStart, ref Unsafe.Add(ref m, p0), ocp);
            }
        }
    }

    /// <summary>
    /// <see cref="Tile{TV, TW}"/> with 512-bit vectors: 6 tiles × 32 output channels, 12 accumulators, per input channel 2
    /// loads and 6 broadcasts. Rows past the last tile repeat it; they are computed and not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileZmm(ref float v, int t0, int tiles, int cp, int c, ref float u, ref float m, int ocp)
    {
        int last = tiles - 1;
        ref float r0 = ref Unsafe.Add(ref v, (nint)t0 * cp);
        ref float r1 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 1, last) * cp);
        ref float r2 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 2, last) * cp);
        ref float r3 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 3, last) * cp);
        ref float r4 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 4, last) * cp);
        ref float r5 = ref Unsafe.Add(ref v, (nint)Math.Min(t0 + 5, last) * cp);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        for (int k = 0; k < c; k++)
        {
            Vector512<float> w0 = Vector512.LoadUnsafe(ref u), w1 = Vector512.LoadUnsafe(ref u, 16);
            Vector512<float> x = Vector512.Create(Unsafe.Add(ref r0, k));
            a0 = Vector512.FusedMultiplyAdd(x, w0, a0);
            b0 = Vector512.FusedMultiplyAdd(x, w1, b0);
            x = Vector512.Create(Unsafe.Add(ref r1, k));
            a1 = Vector512.FusedMultiplyAdd(x, w0, a1);
            b1 = Vector512.FusedMultiplyAdd(x, w1, b1);
            x = Vector512.Create(Unsafe.Add(ref r2, k));
            a2 = Vector512.FusedMultiplyAdd(x, w0, a2);
            b2 = Vector512.FusedMultiplyAdd(x, w1, b2);
            x = Vector512.Create(Unsafe.Add(ref r3, k));
            a3 = Vector512.FusedMultiplyAdd(x, w0, a3);
            b3 = Vector512.FusedMultiplyAdd(x, w1, b3);
            x = Vector512.Create(Unsafe.Add(ref r4, k));
            a4 = Vector512.FusedMultiplyAdd(x, w0, a4);
            b4 = Vector512.FusedMultiplyAdd(x, w1, b4);
            x = Vector512.Create(Unsafe.Add(ref r5, k));
            a5 = Vector512.FusedMultiplyAdd(x, w0, a5);
            b5 = Vector512.FusedMultiplyAdd(x, w1, b5);
            u = ref Unsafe.Add(ref u, ZmmPanel);
        }

        int rows = Math.Min(RowsPerTile, tiles - t0);
        ref float y = ref Unsafe.Add(ref m, (nint)t0 * ocp);
        StorePair(a0, b0, ref y);
        if (rows > 1)
        {
            StorePair(a1, b1, ref Unsafe.Add(ref y, ocp));
        }

        if (rows > 2)
        {
            StorePair(a2, b2, ref Unsafe.Add(ref y, 2 * ocp));
        }

        if (rows > 3)
        {
            StorePair(a3, b3, ref Unsafe.Add(ref y, 3 * ocp));
        }

        if (rows > 4)
        {
            StorePair(a4, b4, ref Unsafe.Add(ref y, 4 * ocp));
        }

        if (rows > 5)
        {
            StorePair(a5, b5, ref Unsafe.Add(ref y, 5 * ocp));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair(Vector512<float> a, Vector512<float> b, ref float y)
    {
        a.StoreUnsafe(ref y);
        b.StoreUnsafe(ref y, 16);
    }
}
