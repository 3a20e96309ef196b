using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Dense over weights kept compact (<see cref="DirectWeights"/>). Up to 3 input rows (batch-1 GEMV and small
/// batches) on AVX2: 4 weight rows at a time are unpacked in registers, dotted with x per scale group and scaled
/// once per group; a linear code's offset is taken off once per group as offset·Σx (Σx kept per lane, computed once
/// per input row), so the inner loop is load, shift, mask, convert (or table permute), FMA. The 4 rows' codes stay in L1 while every input row passes.
/// Linear 1/2/4-bit codes take <see cref="PrefixRows4"/> instead (whole-byte prefixes against prepared x, no shifts; <see cref="PrefixRows4Zmm"/> with AVX-512),
/// linear 3-bit codes <see cref="Prefix3Rows4"/> (the prefixes of each 24-bit block),
/// except that with AVX-512 16-entry palettes and per-channel 4-bit codes take <see cref="Table16GemvZmm"/> (one vpermps per 16 weights).
/// From <see cref="DenseBatch.MinRows"/> rows, and at the 128-bit level, blocks of 4 rows are decoded to floats in a
/// per-thread scratch (4·K floats) and run through the float micro-kernels (the decode is then paid once per weight
/// per call, as DenseBatch does for int8). The scalar level is the definition the others are tested against.
/// </summary>
internal static partial class DirectDense
{
    /// <summary>Input rows up to this count take the in-register kernel.</summary>
    public const int MaxDirectRows = DenseBatch.MinRows - 1;

    [ThreadStatic]
    private static float[]? t_scratch;

    /// <summary>
    /// Whether 4-bit codes and palettes may take <see cref="FixedPoint4"/> and <see cref="FixedPointPalette"/>
    /// (settable for A/B measurements and tests).
    /// </summary>
    internal static bool FixedPoint4Enabled { get; set; } = true;

    public static void Run(SimdLevel level, ReadOnlySpan<float> x, DirectWeights w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act)
    {
        var ep = new Epilogue(bias, act);
        if (level == SimdLevel.Scalar)
        {
            RunScalar(x, w, y, rows, ep);
            return;
        }

        bool avx2 = level == SimdLevel.Vector256 && Avx2.IsSupported;
        if (avx2 && rows <= MaxDirectRows)
        {
            switch ((w.IsPalette, w.Bits))
            {
                case (false, 1): Gemv<SplitBlock<OneBit>, LinearLookup<OneBit>>(x, w, y, rows, ep); break;
                case (false, 2): Gemv<SplitBlock<TwoBits>, LinearLookup<TwoBits>>(x, w, y, rows, ep); break;
                // 3 bits: mask + convert, not the 8-entry vpermps, which AMD Zen 2/3 run slowly (1.40 against 2.15× int8 there).
                case (false, 3): Gemv<Packed3Block, LinearValues>(x, w, y, rows, ep); break;
                // Per-channel 4-bit codes as a 16-entry table per row: fewer instructions than the byte prefixes.
                case (false, 4) when Wide512.Enabled && Table16GemvZmm.Takes(w): Table16GemvZmm.Run(x, w, y, rows, ep); break;
                // Without AVX-512: 4-bit codes times x in 16-bit fixed point, 32 byte products per vpmaddubsw.
                case (false, 4) when FixedPoint4Enabled && FixedPoint4Takes(w): FixedPoint4(x, w, y, rows, ep); break;
                case (false, _): Gemv<SplitBlock<FourBits>, LinearValues>(x, w, y, rows, ep); break;
                case (true, 1): Gemv<SplitBlock<OneBit>, SmallPalette>(x, w, y, rows, ep); break;
                case (true, 2): Gemv<SplitBlock<TwoBits>, SmallPalette>(x, w, y, rows, ep); break;
                case (true, 3): Gemv<Packed3Block, SmallPalette>(x, w, y, rows, ep); break;
                default:
                    if (Wide512.Enabled && Table16GemvZmm.Takes(w))
                    {
                        // One 16-float table per register: a lookup per 16 weights, no conversions (grid or not).
                        Table16GemvZmm.Run(x, w, y, rows, ep);
                    }
                    else if (FixedPoint4Enabled && FixedPointPaletteTakes(w))
                    {
                        // Looked-up steps times x in 16-bit fixed point, 32 byte products per vpmaddubsw.
                        FixedPointPalette(x, w, y, rows, ep);
                    }
                    else if (w.BiasedSteps.Length != 0)
                    {
                        BiasedGridPalette16Gemv.Run(x, w, y, rows, ep);
                    }
                    else if (w.GridSteps.Length != 0)
                    {
                        GridPalette16Gemv.Run(x, w, y, rows, ep);
                    }
                    else
                    {
                        Palette16Gemv.Run(x, w, y, rows, ep);
                    }

                    break;
            }

            return;
        }

        RunDecoded(level, x, w, y, rows, ep);
    }

    /// <summary>The definition: every weight through <see cref="DirectWeights.Value"/>, one float dot per output.</summary>
    private static void RunScalar(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, Epilogue ep)
    {
        int n = w.Rows, k = w.Cols;
        for (int j = 0; j < n; j++)
        {
            for (int r = 0; r < rows; r++)
            {
                float dot = 0;
                for (int c = 0; c < k; c++)
                {
                    dot += x[(r * k) + c] * w.Value(j, c);
                }

                y[(r * n) + j] = ep.Apply(j, dot, 0);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Gemv<TB, TV>(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        GemvBody<TB, TV>(x, w, y, rows, in ep);
    }

    // Gemv's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GemvBody<TB, TV>(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        int n = w.Rows, k = w.Cols, groups = w.GroupsPerRow;

        // Σx per scale group (8 lane sums over the group's whole blocks) and input row, for the linear offsets.
        int perRow = 8 * groups;
        Span<float> sums = Scratch(rows * perRow);
        for (int r = 0; !TV.IsPalette && r < rows; r++)
        {
            GroupSums(x.Slice(r * k, k), w.Group, sums.Slice(r * perRow, perRow));
        }

        ref float x0 = ref MemoryMarshal.GetReference(x);
        bool prefix = PrefixCodes<TB, TV>() && !w.HasZeroOffset;
        bool paired = prefix && PairedBlocks<TB>(w);
        bool prefix3 = Prefix3Codes<TB, TV>(w), palette3 = Palette3Codes<TB, TV>(), zmm3 = false;
        if (prefix)
        {
            x0 = ref MemoryMarshal.GetReference(PrefixInputs(x, rows, k, TB.Bits, paired));
        }
        else if (prefix3 || palette3)
        {
            // With AVX-512, 16 blocks per vector when scale groups are whole 128-column chunks.
            zmm3 = Wide512.Enabled && (groups == 1 || w.Group % (2 * Chunk3) == 0);
            int lanes = zmm3 ? 16 : 8;
            x0 = ref MemoryMarshal.GetReference(Blocked3Inputs(x, rows, k, lanes, prefixes: prefix3));
        }

        Span<float> dots = stackalloc float[4];
        bool tail = k % TB.BlockCodes >= 8;
        for (int j = 0; j < n; j += 4)
        {
            for (int r = 0; r < rows; r++)
            {
                if (paired)
                {
                    PrefixRows4Zmm<TB>(w, j, ref Unsafe.Add(ref x0, (nint)r * k), ref sums[r * perRow], dots);
                }
                else if (prefix)
                {
                    PrefixRows4<TB>(w, j, ref Unsafe.Add(ref x0, (nint)r * k), ref sums[r * perRow], dots);
                }
                else if (prefix3 && zmm3)
                {
                    Prefix3Rows4Zmm<TB>(w, j, ref Unsafe.Add(ref x0, (nint)r * k), ref sums[r * perRow], dots);
                }
                else if (prefix3)
                {
                    Prefix3Rows4<TB>(w, j, ref Unsafe.Add(ref x0, (nint)r * k), ref sums[r * perRow], dots);
                }
                else if (palette3 && zmm3)
                {
                    Palette3Rows4Zmm<TB, TV>(w, j, ref Unsafe.Add(ref x0, (nint)r * k), dots);
                }
                else if (palette3)
                {
                    Palette3Rows4<TB, TV>(w, j, ref Unsafe.Add(ref x0, (nint)r * k), dots);
                }
                else
                {
                    Rows4<TB, TV>(w, j, ref Unsafe.Add(ref x0, (nint)r * k), ref sums[r * perRow], dots);
                }

                if (tail)
                {
                    TailDots<TB, TV>(w, j, ref Unsafe.Add(ref x0, (nint)r * k), dots);
                }

                for (int i = 0; i < 4 && j + i < n; i++)
                {
                    y[(r * n) + j + i] = ep.Apply(j + i, dots[i], 0);
                }
            }
        }
    }

    /// <summary>
    /// Dots of weight rows j…j+3 with one input row (rows past the last repeat it; their results are ignored).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Rows4<TB, TV>(DirectWeights w, int j, ref float x, ref float sums, Span<float> dots)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        Rows4Body<TB, TV>(w, j, ref x, ref sums, dots);
    }

    // Rows4's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Rows4Body<TB, TV>(DirectWeights w, int j, ref float x, ref float sums, Span<float> dots)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        int k = w.Cols, last = w.Rows - 1, groups = w.GroupsPerRow, group = w.Group;
        int j1 = Math.Min(j + 1, last), j2 = Math.Min(j + 2, last), j3 = Math.Min(j + 3, last);
        ref byte codes = ref w.CodeStart;
        ref byte c0 = ref Unsafe.Add(ref codes, (nint)j * w.RowBytes);
        ref byte c1 = ref Unsafe.Add(ref codes, (nint)j1 * w.RowBytes);
        ref byte c2 = ref Unsafe.Add(ref codes, (nint)j2 * w.RowBytes);
        ref byte c3 = ref Unsafe.Add(ref codes, (nint)j3 * w.RowBytes);

        // Palette: each row's table. Linear: each row's group scales (the table argument is unused).
        ref float t0 = ref RowParams<TV>(w, j), t1 = ref RowParams<TV>(w, j1), t2 = ref RowParams<TV>(w, j2), t3 = ref RowParams<TV>(w, j3);
        byte* next = RowPrefetch.Next(ref c0, 4, w.RowBytes);
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int g = 0; g < groups; g++)
        {
            int firstBlock = g * group / TB.BlockCodes, endBlock = Math.Min((g + 1) * group, k) / TB.BlockCodes;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int b = firstBlock; b < endBlock; b++)
            {
                nint at = (nint)b * TB.BlockBytes;
                if (prefetch)
                {
                    RowPrefetch.Step(next, 4 * at, 4 * TB.BlockBytes);
                }

                ref float xb = ref Unsafe.Add(ref x, b * TB.BlockCodes);
                Vector256<int> v0 = TB.Load(ref Unsafe.Add(ref c0, at)), v1 = TB.Load(ref Unsafe.Add(ref c1, at));
                Vector256<int> v2 = TB.Load(ref Unsafe.Add(ref c2, at)), v3 = TB.Load(ref Unsafe.Add(ref c3, at));
                Step<TB, TV>(0, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
                if (TB.BlockCodes >= 16)
                {
                    Step<TB, TV>(1, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
                }

                if (TB.BlockCodes >= 32)
                {
                    Step<TB, TV>(2, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
                    Step<TB, TV>(3, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
                }

                if (TB.BlockCodes >= 64)
                {
                    Step<TB, TV>(4, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
                    Step<TB, TV>(5, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
                    Step<TB, TV>(6, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
                    Step<TB, TV>(7, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
                }
            }

            if (TV.IsPalette)
            {
                (s0, s1, s2, s3) = (a0, a1, a2, a3);
            }
            else
            {
                ScaleGroup(w, g, Vector256.LoadUnsafe(ref sums, (nuint)(8 * g)), j, j1, j2, j3, ref t0, ref t1, ref t2, ref t3, a0, a1, a2, a3, ref s0, ref s1, ref s2, ref s3);
            }
        }

        StoreDots(w, j, j1, j2, j3, ref x, s0, s1, s2, s3, dots);
    }

    /// <summary>
    /// Adds to <paramref name="dots"/> rows j…j+3's products over the whole 8-code chunks of their partial last block (in
    /// the last scale group: a linear code is scaled here, its offset was taken off with the group's Σx in <see cref="Rows4"/>).
    /// Kept out of <see cref="Rows4"/>: a call inside its loops made the JIT keep the accumulators in memory.
    /// </summary>
    private static void TailDots<TB, TV>(DirectWeights w, int j, ref float x, Span<float> dots)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        int last = w.Rows - 1, j1 = Math.Min(j + 1, last), j2 = Math.Min(j + 2, last), j3 = Math.Min(j + 3, last);
        ref byte codes = ref w.CodeStart;
        (Vector256<float> e0, Vector256<float> e1, Vector256<float> e2, Vector256<float> e3) = Tail<TB, TV>(
            w, w.Cols / TB.BlockCodes, ref x,
            ref Unsafe.Add(ref codes, (nint)j * w.RowBytes), ref Unsafe.Add(ref codes, (nint)j1 * w.RowBytes),
            ref Unsafe.Add(ref codes, (nint)j2 * w.RowBytes), ref Unsafe.Add(ref codes, (nint)j3 * w.RowBytes),
            ref RowParams<TV>(w, j), ref RowParams<TV>(w, j1), ref RowParams<TV>(w, j2), ref RowParams<TV>(w, j3));
        int lastGroup = w.GroupsPerRow - 1;
        dots[0] += Vector256.Sum(e0) * (TV.IsPalette ? 1f : w.Scales[(j * w.GroupsPerRow) + lastGroup]);
        dots[1] += Vector256.Sum(e1) * (TV.IsPalette ? 1f : w.Scales[(j1 * w.GroupsPerRow) + lastGroup]);
        dots[2] += Vector256.Sum(e2) * (TV.IsPalette ? 1f : w.Scales[(j2 * w.GroupsPerRow) + lastGroup]);
        dots[3] += Vector256.Sum(e3) * (TV.IsPalette ? 1f : w.Scales[(j3 * w.GroupsPerRow) + lastGroup]);
    }

    /// <summary>
    /// The 4 rows' sums over the whole 8-code chunks of partial block <paramref name="block"/> (zero when the row ends
    /// on a block). Returned rather than added through refs: refs to the caller's accumulators would keep them in memory.
    /// </summary>
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Tail<TB, TV>(
        DirectWeights w, int block, ref float x, ref byte c0, ref byte c1, ref byte c2, ref byte c3,
        ref float t0, ref float t1, ref float t2, ref float t3)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int chunks = (w.Cols - (block * TB.BlockCodes)) / 8;
        if (chunks == 0)
        {
            return (a0, a1, a2, a3);
        }

        nint at = (nint)block * TB.BlockBytes;
        ref float xb = ref Unsafe.Add(ref x, block * TB.BlockCodes);
        Vector256<int> v0 = TB.Load(ref Unsafe.Add(ref c0, at)), v1 = TB.Load(ref Unsafe.Add(ref c1, at));
        Vector256<int> v2 = TB.Load(ref Unsafe.Add(ref c2, at)), v3 = TB.Load(ref Unsafe.Add(ref c3, at));
        for (int m = 0; m < chunks; m++)
        {
            // Step's chunk index must be a constant; a partial block has at most BlockCodes/8 − 1 whole chunks.
            switch (m)
            {
                case 0: Step<TB, TV>(0, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3); break;
                case 1 when TB.BlockCodes > 16: Step<TB, TV>(1, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3); break;
                case 2 when TB.BlockCodes > 24: Step<TB, TV>(2, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3); break;
                case 3 when TB.BlockCodes > 32: Step<TB, TV>(3, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3); break;
                case 4 when TB.BlockCodes > 40: Step<TB, TV>(4, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3); break;
                case 5 when TB.BlockCodes > 48: Step<TB, TV>(5, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3); break;
                case 6 when TB.BlockCodes > 56: Step<TB, TV>(6, ref xb, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3); break;
                default: throw new InvalidOperationException($"chunk {m} of a {TB.BlockCodes}-code block is not a tail chunk");
            }
        }

        return (a0, a1, a2, a3);
    }

    /// <summary>
    /// Adds linear group <paramref name="g"/>'s dots of rows j…j3 (lane sums of u·x in a0…a3) to s0…s3 as
    /// scale·(Σ u·x − offset·Σx), with <paramref name="sx"/> the group's lane sums of x.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleGroup(
        DirectWeights w, int g, Vector256<float> sx, int j, int j1, int j2, int j3, ref float t0, ref float t1, ref float t2, ref float t3,
        Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        ref Vector256<float> s0, ref Vector256<float> s1, ref Vector256<float> s2, ref Vector256<float> s3)
    {
        int groups = w.GroupsPerRow;
        if (w.ZeroPoints.Length != 0)
        {
            a0 = Simd.MulAdd(sx, NegativeOffset(w, (j * groups) + g), a0);
            a1 = Simd.MulAdd(sx, NegativeOffset(w, (j1 * groups) + g), a1);
            a2 = Simd.MulAdd(sx, NegativeOffset(w, (j2 * groups) + g), a2);
            a3 = Simd.MulAdd(sx, NegativeOffset(w, (j3 * groups) + g), a3);
        }
        else
        {
            Vector256<float> correction = sx * Vector256.Create(-(float)w.CodeBias);
            a0 += correction;
            a1 += correction;
            a2 += correction;
            a3 += correction;
        }

        s0 = Simd.MulAdd(a0, Vector256.Create(Unsafe.Add(ref t0, g)), s0);
        s1 = Simd.MulAdd(a1, Vector256.Create(Unsafe.Add(ref t1, g)), s1);
        s2 = Simd.MulAdd(a2, Vector256.Create(Unsafe.Add(ref t2, g)), s2);
        s3 = Simd.MulAdd(a3, Vector256.Create(Unsafe.Add(ref t3, g)), s3);
    }

    /// <summary>−(code bias + zero point) of linear group <paramref name="at"/> in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> NegativeOffset(DirectWeights w, int at) => Vector256.Create((float)-(w.CodeBias + w.ZeroPoints[at]));

    /// <summary>8 columns of one block for the 4 rows; <paramref name="m"/> is a constant at every call, so the shifts are immediates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TB, TV>(
        [ConstantExpected] int m, ref float xb, Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3,
        ref float t0, ref float t1, ref float t2, ref float t3,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> a3)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        Vector256<float> xv = Vector256.LoadUnsafe(ref xb, (nuint)(8 * m));
        a0 = Simd.MulAdd(TV.Values(Codes<TB, TV>(v0, m), ref t0), xv, a0);
        a1 = Simd.MulAdd(TV.Values(Codes<TB, TV>(v1, m), ref t1), xv, a1);
        a2 = Simd.MulAdd(TV.Values(Codes<TB, TV>(v2, m), ref t2), xv, a2);
        a3 = Simd.MulAdd(TV.Values(Codes<TB, TV>(v3, m), ref t3), xv, a3);
    }

    /// <summary>Chunk <paramref name="m"/> of a block, masked unless the lookup ignores the bits above the code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Codes<TB, TV>(Vector256<int> block, [ConstantExpected] int m)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues =>
        TV.TakesRawCodes ? TB.RawChunk(block, m) : TB.Chunk(block, m);

    /// <summary>A palette row's table, or a linear row's first group scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float RowParams<TV>(DirectWeights w, int row)
        where TV : struct, ICodeValues =>
        ref TV.IsPalette
            ? ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(w.Tables), (nint)(row / w.RowsPerBook) * w.TableStride)
            : ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(w.Scales), (nint)row * w.GroupsPerRow);

    /// <summary>
    /// dots[i] = the lane sum of s_i, plus <see cref="Rest"/> for rows j…j3 when the columns are not a multiple of 8:
    /// one 4-way reduction (<see cref="Simd.Sum4(Vector256{float}, Vector256{float}, Vector256{float}, Vector256{float})"/>) and no call in the common case, where four sums and four calls
    /// (which spill every vector register) ended each block of 4 rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreDots(
        DirectWeights w, int j, int j1, int j2, int j3, ref float x,
        Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3, Span<float> dots)
    {
        _ = dots[3];
        Simd.Sum4(s0, s1, s2, s3).StoreUnsafe(ref MemoryMarshal.GetReference(dots));
        if (w.Cols % 8 != 0)
        {
            dots[0] += Rest(w, j, ref x);
            dots[1] += Rest(w, j1, ref x);
            dots[2] += Rest(w, j2, ref x);
            dots[3] += Rest(w, j3, ref x);
        }
    }

    /// <summary>Row <paramref name="row"/>'s columns after its last whole 8-code chunk (fewer than 8).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static float Rest(DirectWeights w, int row, ref float x)
    {
        return RestBody(w, row, ref x);
    }

    // Rest's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RestBody(DirectWeights w, int row, ref float x)
    {
        float sum = 0;
        for (int c = w.Cols / 8 * 8; c < w.Cols; c++)
        {
            sum += w.Value(row, c) * Unsafe.Add(ref x, c);
        }

        return sum;
    }

    /// <summary>
    /// Per scale group, the 8 lane sums of x over the columns the vector loop covers: the group's whole 8-code chunks
    /// (groups are whole blocks except the last, whose partial block's whole chunks <see cref="Tail"/> takes).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GroupSums(ReadOnlySpan<float> x, int group, Span<float> sums)
    {
        GroupSumsBody(x, group, sums);
    }

    // GroupSums's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GroupSumsBody(ReadOnlySpan<float> x, int group, Span<float> sums)
    {
        ref float x0 = ref MemoryMarshal.GetReference(x);
        for (int g = 0; g < sums.Length / 8; g++)
        {
            int start = g * group, end = start + (Math.Min(group, x.Length - start) / 8 * 8);
            Vector256<float> acc = default;
            for (int i = start; i < end; i += 8)
            {
                acc += Vector256.LoadUnsafe(ref x0, (nuint)i);
            }

            acc.StoreUnsafe(ref sums[8 * g]);
        }
    }

    /// <summary>Blocks of 4 weight rows decoded to floats once, then the float micro-kernels over every input row (a SIMD level).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void RunDecoded(SimdLevel level, ReadOnlySpan<float> x, IDecodedRows w, Span<float> y, int rows, in Epilogue ep)
    {
        Span<float> s = stackalloc float[10];
        RunDecodedBody(level, x, w, y, rows, in ep, s);
    }

    // RunDecoded's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunDecodedBody(SimdLevel level, ReadOnlySpan<float> x, IDecodedRows w, Span<float> y, int rows, in Epilogue ep, Span<float> s)
    {
        int n = w.Rows, k = w.Cols;
        Span<float> buffer = Scratch(4 * k);
        ref float f = ref MemoryMarshal.GetReference(buffer);
        ref byte f0 = ref Unsafe.As<float, byte>(ref f);
        ref byte f1 = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref f, k));
        ref byte f2 = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref f, 2 * k));
        ref byte f3 = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref f, 3 * k));
        ref float x0 = ref MemoryMarshal.GetReference(x);
        bool zmmHead = DenseBlocks.ZmmHead(level, k, (long)rows * n * k);
        for (int j = 0; j < n; j += 4)
        {
            int count = Math.Min(4, n - j);
            for (int i = 0; i < 4; i++)
            {
                // Missing rows of the last block repeat the last row; their outputs are not written.
                w.DecodeRow(level, Math.Min(j + i, n - 1), buffer.Slice(i * k, k));
            }

            int r = 0;
            for (; r <= rows - 2; r += 2)
            {
                ref float xa = ref Unsafe.Add(ref x0, (nint)r * k);
                DenseBlocks.Block4x2<Float32Loader>(level, ref xa, ref Unsafe.Add(ref xa, k), ref f0, ref f1, ref f2, ref f3, k, s);
                for (int i = 0; i < count; i++)
                {
                    y[(r * n) + j + i] = ep.Apply(j + i, s[i], 0);
                    y[((r + 1) * n) + j + i] = ep.Apply(j + i, s[4 + i], 0);
                }
            }

            if (r < rows)
            {
                DenseBlocks.Block4x1<Float32Loader>(level, ref Unsafe.Add(ref x0, (nint)r * k), ref f0, ref f1, ref f2, ref f3, k, s, zmmHead);
                for (int i = 0; i < count; i++)
                {
                    y[(r * n) + j + i] = ep.Apply(j + i, s[i], 0);
                }
            }
        }
    }

    /// <summary>Row <paramref name="row"/>'s values, bit-exact with <see cref="DirectWeights.Value"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void DecodeRow(bool avx2, DirectWeights w, int row, Span<float> dst)
    {
        DecodeRowBody(avx2, w, row, dst);
    }

    // DecodeRow's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodeRowBody(bool avx2, DirectWeights w, int row, Span<float> dst)
    {
        int done = 0;
        if (avx2 && Wide512.Enabled && Table16GemvZmm.Takes(w))
        {
            done = Table16GemvZmm.DecodeRow(w, row, dst);
        }
        else if (avx2)
        {
            done = (w.IsPalette, w.Bits) switch
            {
                (false, 1) => DecodeBlocks<SplitBlock<OneBit>, LinearLookup<OneBit>>(w, row, dst),
                (false, 2) => DecodeBlocks<SplitBlock<TwoBits>, LinearLookup<TwoBits>>(w, row, dst),
                (false, 3) => DecodeBlocks<Packed3Block, LinearLookup<ThreeBits>>(w, row, dst),
                (false, _) => DecodeBlocks<SplitBlock<FourBits>, LinearValues>(w, row, dst),
                (true, 1) => DecodeBlocks<SplitBlock<OneBit>, SmallPalette>(w, row, dst),
                (true, 2) => DecodeBlocks<SplitBlock<TwoBits>, SmallPalette>(w, row, dst),
                (true, 3) => DecodeBlocks<Packed3Block, SmallPalette>(w, row, dst),
                _ => DecodeBlocks<SplitBlock<FourBits>, Palette16>(w, row, dst),
            };
        }

        for (int c = done; c < dst.Length; c++)
        {
            dst[c] = w.Value(row, c);
        }
    }

    /// <summary>The whole blocks and then whole 8-code chunks of a row as values; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int DecodeBlocks<TB, TV>(DirectWeights w, int row, Span<float> dst)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        return DecodeBlocksBody<TB, TV>(w, row, dst);
    }

    // DecodeBlocks's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DecodeBlocksBody<TB, TV>(DirectWeights w, int row, Span<float> dst)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        int blocks = w.Cols / TB.BlockCodes;
        ref byte codes = ref Unsafe.Add(ref w.CodeStart, (nint)row * w.RowBytes);
        ref float table = ref RowParams<TV>(w, row);
        ref float d = ref MemoryMarshal.GetReference(dst);
        for (int b = 0; b < blocks; b++)
        {
            Vector256<int> v = TB.Load(ref Unsafe.Add(ref codes, (nint)b * TB.BlockBytes));
            int g = TV.IsPalette ? 0 : b * TB.BlockCodes / w.Group;

            // (code − offset)·scale with an exact integer subtraction and one rounding, as the definition.
            Vector256<float> offset = Vector256.Create((float)(TV.IsPalette ? 0 : w.Offset((row * w.GroupsPerRow) + g)));
            Vector256<float> scale = Vector256.Create(TV.IsPalette ? 1f : Unsafe.Add(ref table, g));
            ref float out0 = ref Unsafe.Add(ref d, b * TB.BlockCodes);
            DecodeChunk<TB, TV>(v, 0, ref table, offset, scale, ref out0);
            if (TB.BlockCodes >= 16)
            {
                DecodeChunk<TB, TV>(v, 1, ref table, offset, scale, ref out0);
            }

            if (TB.BlockCodes >= 32)
            {
                DecodeChunk<TB, TV>(v, 2, ref table, offset, scale, ref out0);
                DecodeChunk<TB, TV>(v, 3, ref table, offset, scale, ref out0);
            }

            if (TB.BlockCodes >= 64)
            {
                DecodeChunk<TB, TV>(v, 4, ref table, offset, scale, ref out0);
                DecodeChunk<TB, TV>(v, 5, ref table, offset, scale, ref out0);
                DecodeChunk<TB, TV>(v, 6, ref table, offset, scale, ref out0);
                DecodeChunk<TB, TV>(v, 7, ref table, offset, scale, ref out0);
            }
        }

        // The partial last block's whole 8-code chunks (its group is the row's last).
        int chunks = (w.Cols - (blocks * TB.BlockCodes)) / 8;
        if (chunks > 0)
        {
            Vector256<int> v = TB.Load(ref Unsafe.Add(ref codes, (nint)blocks * TB.BlockBytes));
            int g = TV.IsPalette ? 0 : blocks * TB.BlockCodes / w.Group;
            Vector256<float> offset = Vector256.Create((float)(TV.IsPalette ? 0 : w.Offset((row * w.GroupsPerRow) + g)));
            Vector256<float> scale = Vector256.Create(TV.IsPalette ? 1f : Unsafe.Add(ref table, g));
            ref float out0 = ref Unsafe.Add(ref d, blocks * TB.BlockCodes);
            for (int m = 0; m < chunks; m++)
            {
                switch (m)
                {
                    case 0: DecodeChunk<TB, TV>(v, 0, ref table, offset, scale, ref out0); break;
                    case 1 when TB.BlockCodes > 16: DecodeChunk<TB, TV>(v, 1, ref table, offset, scale, ref out0); break;
                    case 2 when TB.BlockCodes > 24: DecodeChunk<TB, TV>(v, 2, ref table, offset, scale, ref out0); break;
                    case 3 when TB.BlockCodes > 32: DecodeChunk<TB, TV>(v, 3, ref table, offset, scale, ref out0); break;
                    case 4 when TB.BlockCodes > 40: DecodeChunk<TB, TV>(v, 4, ref table, offset, scale, ref out0); break;
                    case 5 when TB.BlockCodes > 48: DecodeChunk<TB, TV>(v, 5, ref table, offset, scale, ref out0); break;
                    case 6 when TB.BlockCodes > 56: DecodeChunk<TB, TV>(v, 6, ref table, offset, scale, ref out0); break;
                    default: throw new InvalidOperationException($"chunk {m} of a {TB.BlockCodes}-code block is not a tail chunk");
                }
            }
        }

        return (blocks * TB.BlockCodes) + (8 * chunks);
    }

    /// <summary>Values of chunk <paramref name="m"/> (a constant at every call) stored at <c>dst[8m]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodeChunk<TB, TV>(Vector256<int> v, [ConstantExpected] int m, ref float table, Vector256<float> offset, Vector256<float> scale, ref float dst)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        Vector256<float> values = TV.Values(Codes<TB, TV>(v, m), ref table);
        if (!TV.IsPalette)
        {
            values = (values - offset) * scale;
        }

        values.StoreUnsafe(ref dst, (nuint)(8 * m));
    }

    private static Span<float> Scratch(int length)
    {
        return ThreadScratch.Get(ref t_scratch, length);
    }
}
