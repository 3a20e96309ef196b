using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

internal static partial class BlockedWinograd
{
    /// <summary>
    /// <c>V_ξ[t, c] = (Bᵀ d B)_ξ</c> for the chunk's tiles (images, then tile rows, then tile columns), L channels per
    /// vector: each α×α window of a channel block is transformed down its columns into a small buffer, then along its rows
    /// straight into V (<c>v[ξ][t][Cp]</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void InputTransform<TF, TV, TW>(ReadOnlySpan<float> stage, Span<float> v, in Plan plan, int images, int th0, int rows, int tiles)
        where TF : struct, IWinogradTile
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        Span<float> t = stackalloc float[36 * 8];
        InputTransformBody<TF, TV, TW>(stage, v, in plan, images, th0, rows, tiles, t);
    }

    // InputTransform's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransformBody<TF, TV, TW>(ReadOnlySpan<float> stage, Span<float> v, in Plan plan, int images, int th0, int rows, int tiles, Span<float> t)
        where TF : struct, IWinogradTile
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int lanes = TW.Count, alpha = TF.Alpha, m = TF.M, rowFloats = plan.Wp * lanes;
        nint blockFloats = (nint)plan.Hp * rowFloats, xiStride = XiStride(tiles, plan.Cp), alphaStride = alpha * xiStride;
        ref float tb = ref MemoryMarshal.GetReference(t);
        ref float st = ref MemoryMarshal.GetReference(stage);
        ref float vr = ref MemoryMarshal.GetReference(v);
        int tile = 0;
        for (int i = 0; i < images; i++)
        {
            for (int th = th0; th < th0 + rows; th++)
            {
                for (int tw = 0; tw < plan.TWc; tw++, tile++)
                {
                    ref float top = ref Unsafe.Add(ref st, ((nint)i * plan.StageFloats) + (th * m * (nint)rowFloats) + (tw * m * lanes));
                    ref float dst = ref Unsafe.Add(ref vr, (nint)tile * plan.Cp);
                    for (int cb = 0; cb < plan.Blocks; cb++)
                    {
                        ref float src = ref Unsafe.Add(ref top, cb * blockFloats);
                        for (int col = 0; col < alpha; col++)
                        {
                            WinogradTransforms.BT<TF, TV, TW>(ref Unsafe.Add(ref src, col * lanes), rowFloats, ref Unsafe.Add(ref tb, col * lanes), alpha * lanes);
                        }

                        ref float out0 = ref Unsafe.Add(ref dst, cb * lanes);
                        for (int a = 0; a < alpha; a++)
                        {
                            WinogradTransforms.BT<TF, TV, TW>(ref Unsafe.Add(ref tb, a * alpha * lanes), lanes, ref Unsafe.Add(ref out0, a * alphaStride), xiStride);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// <c>y[oc, m·th + i, m·tw + j] = act((Aᵀ M A)[i, j] + bias[oc])</c> for the chunk's tiles, L output channels per
    /// vector. The tiles of a strip of L output columns (L / m tiles) are transformed into a buffer of L pixel vectors per
    /// output row, which an L×L register transpose turns into L channel rows of L consecutive NCHW outputs. Image i's
    /// outputs start <paramref name="yImage"/>·i floats into <paramref name="y"/>.
    /// </summary>
    /// <remarks>
    /// Strips go right to left so that a row's last, partial strip may be stored whole (<see cref="StoreRow{TV, TW}"/>):
    /// its extra lanes land on the next output row's first pixels, which this call (or a later chunk of tile rows of the
    /// same channels) writes afterwards. Only an image's last row, whose extra lanes would reach another channel, is
    /// stored exactly.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OutputTransform<TF, TV, TW>(ReadOnlySpan<float> mm, Span<float> y, int yImage, ReadOnlySpan<float> bias, bool relu, in Conv2DShape s, in Plan plan, int images, int th0, int rows, int tiles,
        int blk0, int blk1)
        where TF : struct, IWinogradTile
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        Span<float> t = stackalloc float[4 * 6 * 8];
        Span<float> o = stackalloc float[4 * 8 * 8];
        OutputTransformBody<TF, TV, TW>(mm, y, yImage, bias, relu, in s, in plan, images, th0, rows, tiles, blk0, blk1, t, o);
    }

    // OutputTransform's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransformBody<TF, TV, TW>(ReadOnlySpan<float> mm, Span<float> y, int yImage, ReadOnlySpan<float> bias, bool relu, in Conv2DShape s, in Plan plan, int images, int th0, int rows, int tiles,
        int blk0, int blk1, Span<float> t, Span<float> o)
        where TF : struct, IWinogradTile
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int lanes = TW.Count, alpha = TF.Alpha, m = TF.M, strip = lanes / m, p = s.OH * s.OW;
        nint xiStride = XiStride(tiles, plan.OCp), alphaStride = alpha * xiStride;
        ref float tb = ref MemoryMarshal.GetReference(t);
        ref float ob = ref MemoryMarshal.GetReference(o);
        ref float mr = ref MemoryMarshal.GetReference(mm);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float br = ref MemoryMarshal.GetReference(bias);
        for (int i = 0; i < images; i++)
        {
            ref float yi = ref Unsafe.Add(ref yr, (nint)i * yImage);
            for (int th = th0; th < th0 + rows; th++)
            {
                int tileRow = ((i * rows) + th - th0) * plan.TWc, validRows = Math.Min(m, s.OH - (th * m));
                for (int s0 = (plan.TWc - 1) / strip * strip; s0 >= 0; s0 -= strip)
                {
                    int tilesHere = Math.Min(strip, plan.TWc - s0), col0 = s0 * m, validCols = Math.Min(lanes, s.OW - col0);

                    // Lanes past the row's end may spill into the next row when it exists and starts with at least as many pixels.
                    bool spill = lanes - validCols <= s.OW;
                    for (int blk = blk0; blk < blk1; blk++)
                    {
                        for (int k = 0; k < tilesHere; k++)
                        {
                            ref float src = ref Unsafe.Add(ref mr, ((nint)(tileRow + s0 + k) * plan.OCp) + (blk * lanes));
                            for (int b = 0; b < alpha; b++)
                            {
                                WinogradTransforms.AT<TF, TV, TW>(ref Unsafe.Add(ref src, b * xiStride), alphaStride, ref Unsafe.Add(ref tb, b * lanes), alpha * lanes);
                            }

                            for (int r = 0; r < m; r++)
                            {
                                WinogradTransforms.AT<TF, TV, TW>(ref Unsafe.Add(ref tb, r * alpha * lanes), lanes, ref Unsafe.Add(ref ob, ((r * lanes) + (k * m)) * lanes), lanes);
                            }
                        }

                        int validOc = Math.Min(lanes, s.OC - (blk * lanes));
                        TV bv = TW.Load(ref br, blk * lanes);
                        for (int r = 0; r < validRows; r++)
                        {
                            ref float dst = ref Unsafe.Add(ref yi, ((nint)blk * lanes * p) + ((((th * m) + r) * s.OW) + col0));
                            bool whole = validCols == lanes || (spill && (th * m) + r < s.OH - 1);
                            StoreRow<TV, TW>(ref Unsafe.Add(ref ob, r * lanes * lanes), bv, relu, ref dst, p, validOc, whole ? lanes : validCols);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// L pixel vectors (lanes = channels) at <paramref name="o"/> plus bias, then the activation, transposed to channel rows
    /// and stored: channel l's L outputs at <c>dst + l·p</c>, only the first <paramref name="validOc"/> channels and
    /// <paramref name="validCols"/> pixels. A partial row (an image's last) is stored float by float: the
    /// pixels past it belong to another channel, which may already be written. Not <c>vmaskmovps</c>: its stores took
    /// a third of SqueezeNet's 16 → 64 3×3 on 7×7 at batch 64 on Zen 3 (741 against 482 µs with whole-row stores).
    /// </summary>
    /// <remarks>
    /// The bias is passed by reference: a by-value vector parameter keeps ReadyToRun from precompiling the method.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreRow<TV, TW>(ref float o, in TV bias, bool relu, ref float dst, int p, int validOc, int validCols)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        StoreRowBody<TV, TW>(ref o, in bias, relu, ref dst, p, validOc, validCols);
    }

    // StoreRow's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRowBody<TV, TW>(ref float o, in TV bias, bool relu, ref float dst, int p, int validOc, int validCols)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        if (typeof(TV) == typeof(Vector256<float>))
        {
            Vector256<float> b = Unsafe.As<TV, Vector256<float>>(ref Unsafe.AsRef(in bias));
            Vector256<float> r0 = Finish(Vector256.LoadUnsafe(ref o), b, relu), r1 = Finish(Vector256.LoadUnsafe(ref o, 8), b, relu);
            Vector256<float> r2 = Finish(Vector256.LoadUnsafe(ref o, 16), b, relu), r3 = Finish(Vector256.LoadUnsafe(ref o, 24), b, relu);
            Vector256<float> r4 = Finish(Vector256.LoadUnsafe(ref o, 32), b, relu), r5 = Finish(Vector256.LoadUnsafe(ref o, 40), b, relu);
            Vector256<float> r6 = Finish(Vector256.LoadUnsafe(ref o, 48), b, relu), r7 = Finish(Vector256.LoadUnsafe(ref o, 56), b, relu);
            Transpose8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            if (validOc == 8)
            {
                Store8(r0, ref dst, validCols);
                Store8(r1, ref Unsafe.Add(ref dst, p), validCols);
                Store8(r2, ref Unsafe.Add(ref dst, 2 * p), validCols);
                Store8(r3, ref Unsafe.Add(ref dst, 3 * p), validCols);
                Store8(r4, ref Unsafe.Add(ref dst, 4 * p), validCols);
                Store8(r5, ref Unsafe.Add(ref dst, 5 * p), validCols);
                Store8(r6, ref Unsafe.Add(ref dst, 6 * p), validCols);
                Store8(r7, ref Unsafe.Add(ref dst, 7 * p), validCols);
                return;
            }

            // A partial channel block: back into the buffer as channel rows, then only the valid part out.
            r0.StoreUnsafe(ref o);
            r1.StoreUnsafe(ref o, 8);
            r2.StoreUnsafe(ref o, 16);
            r3.StoreUnsafe(ref o, 24);
            r4.StoreUnsafe(ref o, 32);
            r5.StoreUnsafe(ref o, 40);
            r6.StoreUnsafe(ref o, 48);
            r7.StoreUnsafe(ref o, 56);
        }
        else
        {
            Vector128<float> b = Unsafe.As<TV, Vector128<float>>(ref Unsafe.AsRef(in bias));
            Vector128<float> r0 = Finish(Vector128.LoadUnsafe(ref o), b, relu), r1 = Finish(Vector128.LoadUnsafe(ref o, 4), b, relu);
            Vector128<float> r2 = Finish(Vector128.LoadUnsafe(ref o, 8), b, relu), r3 = Finish(Vector128.LoadUnsafe(ref o, 12), b, relu);
            Transpose4(ref r0, ref r1, ref r2, ref r3);
            if (validCols == 4 && validOc == 4)
            {
                r0.StoreUnsafe(ref dst);
                r1.StoreUnsafe(ref dst, (nuint)p);
                r2.StoreUnsafe(ref dst, (nuint)(2 * p));
                r3.StoreUnsafe(ref dst, (nuint)(3 * p));
                return;
            }

            r0.StoreUnsafe(ref o);
            r1.StoreUnsafe(ref o, 4);
            r2.StoreUnsafe(ref o, 8);
            r3.StoreUnsafe(ref o, 12);
        }

        int lanes = TW.Count;
        for (int l = 0; l < validOc; l++)
        {
            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref o, l * lanes), validCols).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref dst, (nint)l * p), validCols));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(Vector256<float> v, Vector256<float> bias, bool relu) => relu ? Simd.Relu(v + bias) : v + bias;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Finish(Vector128<float> v, Vector128<float> bias, bool relu) => relu ? Simd.Relu(v + bias) : v + bias;

    /// <summary>The first <paramref name="valid"/> lanes of <paramref name="v"/> to <paramref name="dst"/>: one store when all 8 are, else float by float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(Vector256<float> v, ref float dst, int valid)
    {
        if (valid == 8)
        {
            v.StoreUnsafe(ref dst);
            return;
        }

        StorePartial(v, ref dst, valid);
    }

    private static void StorePartial(Vector256<float> v, ref float dst, int valid)
    {
        // Lanes read through memory, not GetElement(i): a variable index gives GetElement a throw path, and that kept
        // ReadyToRun from precompiling StoreRow (1.3 ms of tier-0 JIT in every first prediction that runs a Winograd conv).
        ref float lanes = ref Unsafe.As<Vector256<float>, float>(ref v);
        for (int i = 0; i < valid; i++)
        {
            Unsafe.Add(ref dst, i) = Unsafe.Add(ref lanes, i);
        }
    }
}
