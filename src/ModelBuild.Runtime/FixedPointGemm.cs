using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Dense over a batch (int8 from <see cref="MinRowsInt8"/> rows, 4-bit codes from <see cref="MinRowsCodes"/>) for int8 weights (and 4-bit codes: FixedPointGemm.Codes.cs)
/// on float32 activations, AVX2 + FMA (4-bit codes also with AVX-512), past the FMA bound: each input row is rounded once per call to 16-bit fixed point (<see cref="FixedPointInputs.Quantize"/>: one
/// power-of-two step per block of <see cref="FixedPointInputs.BlockSize"/> inputs, error ≤ 2^−15 of the block's largest
/// |x|), and a 6-row × 16-channel register tile multiplies pairs of inputs by pairs of weights with <c>vpmaddwd</c>
/// (16 multiply-adds per instruction, an FMA does 8; a stand-alone tile ran at 185 GFLOP/s against the float tile's
/// 109, which is the AVX2 FMA peak of Zen 5 at 3.54 GHz). The sums are exact in int32 within a block
/// (|Σ| ≤ 256 · 128 · 32768 = 2^30); each block's tile is converted, scaled by its row's step and added into y, and the
/// last block applies the channel scales, the bias and ReLU.
/// </summary>
/// <remarks>
/// Weights: the int8 panels <c>[⌈N/16⌉][K][16]</c> of <see cref="WeightMatrix.PackedDenseInt8"/> (1 byte per weight,
/// made once per process), each panel's K block widened per call into an L1 scratch of int16 pairs
/// <c>[k/2][16][2]</c> (4-bit codes: the same scratch filled from the blob's codes, FixedPointGemm.Codes.cs). Threads
/// take ranges of whole panels, so any thread count gives the same bits, and so does <see cref="Reference"/>. Not
/// taken, so the float GEMM runs: for int8 when at most 30 % of x is nonzero (<see cref="SparseBelow"/>: the float
/// GEMM's sparse-row kernel skips zeros, which is faster there), and when x holds a NaN or an infinity (the float
/// path propagates them).
/// </remarks>
internal static partial class FixedPointGemm
{
    private const int Nr = 16;
    private const int Mr = 6;
    private const int BlockSize = FixedPointInputs.BlockSize;

    [ThreadStatic]
    private static short[]? t_codes;

    [ThreadStatic]
    private static float[]? t_steps;

    [ThreadStatic]
    private static short[]? t_pairs;

    [ThreadStatic]
    private static float[]? t_edge;

    [ThreadStatic]
    private static float[]? t_bias;

    /// <summary>Whether the path may run at all (a switch for the benchmarks' A/B).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>
    /// Int8 from 5 input rows: at 4 the batch-1 GEMV repeated per row (<see cref="FixedPointGemv"/>) was faster, from 5
    /// this tile (wide MLP, AVX-512 off, `quick wide-ab`, 2026-12-05: batch 4 157 against 172 µs, batch 5 192 against
    /// 177, batch 6 235 against 179; the float batch kernel it replaces took 258 and 328 µs at 4 and 6).
    /// </summary>
    internal const int MinRowsInt8 = 5;

    /// <summary>4-bit codes from 4 input rows (batch 1–3 has its own kernels): the wide MLP at batch 4 took 227 µs here against 395 through float rows (`DirectGemm`).</summary>
    internal const int MinRowsCodes = 4;

    /// <summary>
    /// Inputs with at most this fraction of nonzeros go to the float GEMM, whose sparse-row kernel skips the zeros:
    /// mnist_mlp_256 at batch 64 on t10k digits (first layer ~20 % nonzero, second ~30–50 %) ran at 0.473 of ONNX
    /// Runtime with 0.3, 0.488 with 0.5 and 0.665 with 0.15 (`quick pair`, `MB_EXP=fp-sparse:…`). Settable for that A/B.
    /// </summary>
    internal static double SparseBelow { get; set; } = 0.3;

    /// <summary>Whether a call can take this path (the input is checked in <see cref="Run"/>).</summary>
    /// <remarks>
    /// Int8 only where 512-bit vectors are off: on the Zen 5 VM with AVX-512 (a 512-bit FMA is as many multiply-adds as
    /// this tile's 256-bit <c>vpmaddwd</c>) mnist_mlp_256 at batch 64 ran 196.6 µs here against 167.1 with the 512-bit
    /// float tile, and single layers from 256 × 784 to 3072 × 768 at batch 64 took 1.13–1.23× its time (`quick big-layer
    /// n k int8 7 64` with this path forced). 4-bit codes take it
    /// there too, where the alternative decodes every weight to float rows per call (<see cref="DirectGemm"/>): the wide
    /// MLP at batch 64 1.51 against 3.72 ms, at batch 8 372 against 2,619 µs (`quick wide-ab`, `quick pair`, 2026-12-05).
    /// </remarks>
    public static bool Applies(SimdLevel level, int rows, WeightMatrix w) =>
        Enabled && level == SimdLevel.Vector256 && Avx2.IsSupported && Fma.IsSupported
        && ((rows >= MinRowsInt8 && !Wide512.Enabled && w.Format == WeightFormat.Int8 && w.Direct is null && w.Sparse is null && w.Half is null && (long)w.Rows * w.Cols <= DenseGemm.MaxPackedWeights)
            || (rows >= MinRowsCodes && w.Direct is { } direct && TakesCodes(direct)));

    /// <summary>
    /// <c>y[r, j] = act(scale_j · Σ_k x̂[r, k]·q[j, k] + bias_j)</c>, x̂ the rounded inputs (see the class summary).
    /// </summary>
    /// <param name="x">Inputs, <c>rows × K</c>.</param>
    /// <param name="w">Int8 symmetric weights, <c>N × K</c>, or 4-bit codes <see cref="TakesCodes"/> accepts.</param>
    /// <param name="bias">N floats or empty.</param>
    /// <param name="y">Outputs, <c>rows × N</c>.</param>
    /// <param name="rows">Input rows.</param>
    /// <param name="act">The fused activation.</param>
    /// <param name="threads">Threads to split the panels over (<see cref="IntraOp"/>); every output is computed the same way for any count.</param>
    /// <returns>False, with y untouched, when the float GEMM should run instead (sparse x with int8 weights, or a NaN, an infinity or a magnitude ≥ 2^100 in x: <see cref="FixedPointInputs.HugeBits"/>).</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool Run(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int threads = 1) =>
        RunBody(x, w, bias, y, rows, act, threads);

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool RunBody(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int threads)
    {
        int n = w.Rows, k = w.Cols, kPad = (k + 1) & ~1, blocks = FixedPointInputs.Blocks(k);
        DirectWeights? direct = w.Direct;

        // Only int8 has a float GEMM that skips zeros (DirectGemm decodes every weight whatever x holds).
        if (direct is null && DenseGemm.CountNonzeros(ref MemoryMarshal.GetReference(x), k, 0, rows, k) <= SparseBelow * rows * k)
        {
            return false;
        }

        Span<short> codes = ThreadScratch.Get(ref t_codes, rows * kPad);
        Span<float> steps = ThreadScratch.Get(ref t_steps, rows * blocks);
        if (!QuantizeRows(x, codes, steps, rows, k))
        {
            return false;
        }

        (sbyte[]? panels, float[]? scales) = direct is null ? w.PackedDenseInt8(Nr) : (null, null);
        var shape = new Shape(rows, n, k, kPad, blocks, !bias.IsEmpty, act == Activation.Relu, VnniSwitch.Use((long)rows * n * k));
        int count = (n + Nr - 1) / Nr;

        // The bias padded to whole panels, as the panels' scales are (the tiles load 16 per panel).
        Span<float> paddedBias = ThreadScratch.Get(ref t_bias, shape.HasBias ? count * Nr : 0);
        bias.CopyTo(paddedBias);
        paddedBias[bias.Length..].Clear();

        int parts = IntraOp.Parts(threads, 2.0 * rows * n * k, count);
        fixed (short* pc = codes)
        fixed (float* ps = steps, pb = paddedBias, pscales = scales, py = y)
        fixed (sbyte* pw = panels)
        {
            var operands = new Operands(shape, pc, ps, pw, pscales, pb, py, direct);
            if (parts <= 1)
            {
                Panels(operands, 0, count);
            }
            else
            {
                var job = t_job ??= new Job();
                job.Operands = operands;
                IntraOp.Run(job, parts, threads);
                job.Operands = default;
            }
        }

        return true;
    }

    /// <summary>The sizes of one call, and whether its tiles take the AVX-VNNI form (<see cref="VnniSwitch.Use"/>, decided once per call).</summary>
    private readonly record struct Shape(int Rows, int N, int K, int KPad, int Blocks, bool HasBias, bool Relu, bool Vnni);

    /// <summary>
    /// A call's operands as pointers (fixed by <see cref="RunBody"/> for the call): x's codes and steps, the int8 panels
    /// and their scales (null for 4-bit codes), the padded bias, y, and the 4-bit codes (null for int8).
    /// </summary>
    private readonly unsafe struct Operands(Shape shape, short* codes, float* steps, sbyte* panels, float* scales, float* bias, float* y, DirectWeights? direct)
    {
        public Shape Shape { get; } = shape;

        public short* Codes { get; } = codes;

        public float* Steps { get; } = steps;

        public sbyte* Panels { get; } = panels;

        public float* Scales { get; } = scales;

        public float* Bias { get; } = bias;

        public float* Y { get; } = y;

        public DirectWeights? Direct { get; } = direct;
    }

    [ThreadStatic]
    private static Job? t_job;

    /// <summary>Parts are ranges of whole panels: each output is the same computation whichever part runs it.</summary>
    private sealed class Job : IntraOp.IWork
    {
        public Operands Operands { get; set; }

        public void Run(int part, int parts)
        {
            int count = (Operands.Shape.N + Nr - 1) / Nr;
            Panels(Operands, count * part / parts, count * (part + 1) / parts);
        }
    }

    /// <summary>Panels [p0, p1) for every row, on the calling thread's scratch.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Panels(in Operands o, int p0, int p1) => PanelsBody(o, p0, p1);

    // Panels' body, inlined into it (no count probes in its loops, as RunBody).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PanelsBody(in Operands o, int p0, int p1)
    {
        Shape s = o.Shape;
        int n = s.N, k = s.K;
        Span<short> pairs = ThreadScratch.Get(ref t_pairs, BlockSize * Nr);
        var steps = new ReadOnlySpan<float>(o.Steps, s.Rows * s.Blocks);
        for (int p = p0; p < p1; p++)
        {
            bool whole = (p + 1) * Nr <= n;
            Span<float> edge = whole ? default : ThreadScratch.Get(ref t_edge, s.Rows * Nr);
            ref float c = ref whole ? ref o.Y[p * Nr] : ref MemoryMarshal.GetReference(edge);
            nint ldc = whole ? n : Nr;
            ref float bias = ref s.HasBias ? ref o.Bias[p * Nr] : ref Unsafe.NullRef<float>();
            if (o.Direct is { } direct)
            {
                CodePanel(s, ref *o.Codes, steps, direct, p, pairs, ref bias, ref c, ldc);
            }
            else
            {
                Panel(s, ref *o.Codes, steps, ref o.Panels[(long)p * k * Nr], pairs, ref o.Scales[p * Nr], ref bias, ref c, ldc, whole ? Nr : n - (p * Nr));
            }

            if (!whole)
            {
                var y = new Span<float>(o.Y, s.Rows * n);
                for (int r = 0; r < s.Rows; r++)
                {
                    edge.Slice(r * Nr, n - (p * Nr)).CopyTo(y.Slice((r * n) + (p * Nr), n - (p * Nr)));
                }
            }
        }
    }

    /// <summary>Every row of x rounded (<see cref="FixedPointInputs.Quantize"/>), rows <c>KPad</c> codes apart, an odd K's pad code 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool QuantizeRows(ReadOnlySpan<float> x, Span<short> codes, Span<float> steps, int rows, int k)
    {
        int kPad = (k + 1) & ~1, blocks = FixedPointInputs.Blocks(k);
        for (int r = 0; r < rows; r++)
        {
            if (!FixedPointInputs.Quantize(x.Slice(r * k, k), codes.Slice(r * kPad, k), steps.Slice(r * blocks, blocks)))
            {
                return false;
            }

            if (kPad != k)
            {
                codes[(r * kPad) + k] = 0;
            }
        }

        return true;
    }

    /// <summary>
    /// One panel of 16 channels (<paramref name="live"/> of them real; the padding channels' codes are 0) for every row:
    /// per K block, the block widened to pairs, then the row tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Panel(in Shape s, ref short codes, ReadOnlySpan<float> steps, ref sbyte panel, Span<short> pairs, ref float scale, ref float bias, ref float c, nint ldc, int live) =>
        PanelBody(s, ref codes, steps, ref panel, pairs, ref scale, ref bias, ref c, ldc, live);

    // Panel's body, inlined into it (no count probes in its loops, as RunBody).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PanelBody(in Shape s, ref short codes, ReadOnlySpan<float> steps, ref sbyte panel, Span<short> pairs, ref float scale, ref float bias, ref float c, nint ldc, int live)
    {
        for (int b = 0, k0 = 0; k0 < s.K; b++, k0 += BlockSize)
        {
            int kc = Math.Min(BlockSize, s.K - k0);
            WidenPairs(ref Unsafe.Add(ref panel, (nint)k0 * Nr), kc, pairs);
            bool first = b == 0, last = k0 + kc == s.K;
            for (int r = 0; r < s.Rows; r += Mr)
            {
                Tile(s, ref Unsafe.Add(ref codes, ((nint)r * s.KPad) + k0), steps, b, r, Math.Min(Mr, s.Rows - r), pairs, (kc + 1) / 2,
                    ref Unsafe.Add(ref c, r * ldc), ldc, first, last, ref scale, ref bias, ref Unsafe.NullRef<float>());
            }
        }
    }

    /// <summary>
    /// <paramref name="kc"/> rows of a panel's codes (<c>[k][16]</c>) as int16 pairs <c>[k/2][16][2]</c> (an odd last row
    /// paired with zeros): per two rows, two <c>vpmovsxbw</c>, an interleave within 128-bit lanes and a lane swap back to
    /// channel order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenPairs(ref sbyte rows, int kc, Span<short> pairs)
    {
        ref short dst = ref MemoryMarshal.GetReference(pairs);
        for (int i = 0; i < kc; i += 2)
        {
            Vector256<short> a = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref rows, (nuint)(i * Nr)));
            Vector256<short> b = i + 1 < kc ? Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref rows, (nuint)((i + 1) * Nr))) : Vector256<short>.Zero;
            Vector256<short> lo = Avx2.UnpackLow(a, b), hi = Avx2.UnpackHigh(a, b); // channels 0–3 | 8–11 and 4–7 | 12–15
            Avx2.Permute2x128(lo, hi, 0x20).StoreUnsafe(ref dst, (nuint)(i * Nr));
            Avx2.Permute2x128(lo, hi, 0x31).StoreUnsafe(ref dst, (nuint)((i * Nr) + Nr));
        }
    }

    /// <summary>
    /// Rows [r, r + <paramref name="live"/>) × the panel's 16 channels over one K block of <paramref name="pairCount"/> input
    /// pairs: exact int32 sums, then per output <c>acc·step (+ y)</c> (times the channels' <paramref name="groupScale"/>
    /// unless it is a null ref), and on the last block <c>act(that·scale + bias)</c>. Rows past <paramref name="live"/>
    /// compute row r's values again and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(in Shape s, ref short x, ReadOnlySpan<float> steps, int block, int r, int live, Span<short> pairs, int pairCount,
        ref float c, nint ldc, bool first, bool last, ref float scale, ref float bias, ref float groupScale)
    {
        if (s.Vnni)
        {
            TileVnni(s, ref x, steps, block, r, live, pairs, pairCount, ref c, ldc, first, last, ref scale, ref bias, ref groupScale);
        }
        else
        {
            TileBody(s, ref x, steps, block, r, live, pairs, pairCount, ref c, ldc, first, last, ref scale, ref bias, ref groupScale, vnni: false);
        }
    }

    /// <summary>
    /// <see cref="Tile"/> through AVX-VNNI (<see cref="VnniSwitch"/>): each <c>vpmaddwd</c> and its <c>vpaddd</c> become
    /// one <c>vpdpwssd</c>, the same exact int32 sums (wide MLP at batch 64, AVX-512 off, 2026-12-05: see
    /// IMPLEMENTATION.md, "AVX-VNNI").
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TileVnni(in Shape s, ref short x, ReadOnlySpan<float> steps, int block, int r, int live, Span<short> pairs, int pairCount,
        ref float c, nint ldc, bool first, bool last, ref float scale, ref float bias, ref float groupScale) =>
        TileBody(s, ref x, steps, block, r, live, pairs, pairCount, ref c, ldc, first, last, ref scale, ref bias, ref groupScale, vnni: true);

    /// <summary>c + a·b per int32 lane over int16 pairs: <c>vpdpwssd</c>, or <c>vpmaddwd</c> and <c>vpaddd</c>.</summary>
    /// <remarks>
    /// The weights go first in <c>vpdpwssd</c>: with the broadcast input first, .NET 10's JIT (fully optimised code,
    /// as under <c>DOTNET_TieredCompilation=0</c>) compiled the tile to multiply the broadcast by itself and dropped the
    /// weight loads (FixedPointGemmTests caught it: results thousands of times too large).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MultiplyAdd(Vector256<int> c, Vector256<short> a, Vector256<short> b, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni) =>
        vnni ? AvxVnni.MultiplyWideningAndAdd(c, b, a) : c + Avx2.MultiplyAddAdjacent(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileBody(in Shape s, ref short x, ReadOnlySpan<float> steps, int block, int r, int live, Span<short> pairs, int pairCount,
        ref float c, nint ldc, bool first, bool last, ref float scale, ref float bias, ref float groupScale, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni)
    {
        ref int x0 = ref Unsafe.As<short, int>(ref x);
        nint pitch = s.KPad / 2; // int32 pairs per row
        ref int x1 = ref Unsafe.Add(ref x0, live > 1 ? pitch : 0);
        ref int x2 = ref Unsafe.Add(ref x0, live > 2 ? 2 * pitch : 0);
        ref int x3 = ref Unsafe.Add(ref x0, live > 3 ? 3 * pitch : 0);
        ref int x4 = ref Unsafe.Add(ref x0, live > 4 ? 4 * pitch : 0);
        ref int x5 = ref Unsafe.Add(ref x0, live > 5 ? 5 * pitch : 0);
        ref short w = ref MemoryMarshal.GetReference(pairs);
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int i = 0; i < pairCount; i++)
        {
            Vector256<short> b0 = Vector256.LoadUnsafe(ref w, (nuint)(i * 2 * Nr));
            Vector256<short> b1 = Vector256.LoadUnsafe(ref w, (nuint)((i * 2 * Nr) + Nr));
            Vector256<short> a = Vector256.Create(Unsafe.Add(ref x0, i)).AsInt16();
            c00 = MultiplyAdd(c00, a, b0, vnni);
            c01 = MultiplyAdd(c01, a, b1, vnni);
            a = Vector256.Create(Unsafe.Add(ref x1, i)).AsInt16();
            c10 = MultiplyAdd(c10, a, b0, vnni);
            c11 = MultiplyAdd(c11, a, b1, vnni);
            a = Vector256.Create(Unsafe.Add(ref x2, i)).AsInt16();
            c20 = MultiplyAdd(c20, a, b0, vnni);
            c21 = MultiplyAdd(c21, a, b1, vnni);
            a = Vector256.Create(Unsafe.Add(ref x3, i)).AsInt16();
            c30 = MultiplyAdd(c30, a, b0, vnni);
            c31 = MultiplyAdd(c31, a, b1, vnni);
            a = Vector256.Create(Unsafe.Add(ref x4, i)).AsInt16();
            c40 = MultiplyAdd(c40, a, b0, vnni);
            c41 = MultiplyAdd(c41, a, b1, vnni);
            a = Vector256.Create(Unsafe.Add(ref x5, i)).AsInt16();
            c50 = MultiplyAdd(c50, a, b0, vnni);
            c51 = MultiplyAdd(c51, a, b1, vnni);
        }

        var epilogue = new Out(s, steps, block, first, last, ref scale, ref bias, ref groupScale);
        epilogue.Row(r, c00, c01, ref c);
        if (live > 1)
        {
            epilogue.Row(r + 1, c10, c11, ref Unsafe.Add(ref c, ldc));
        }

        if (live > 2)
        {
            epilogue.Row(r + 2, c20, c21, ref Unsafe.Add(ref c, 2 * ldc));
        }

        if (live > 3)
        {
            epilogue.Row(r + 3, c30, c31, ref Unsafe.Add(ref c, 3 * ldc));
        }

        if (live > 4)
        {
            epilogue.Row(r + 4, c40, c41, ref Unsafe.Add(ref c, 4 * ldc));
        }

        if (live > 5)
        {
            epilogue.Row(r + 5, c50, c51, ref Unsafe.Add(ref c, 5 * ldc));
        }
    }

    /// <summary>
    /// What a block's int32 sums become: <c>v = acc·step·g + (first ? 0 : y)</c>, g the 16 channels' group scales or 1
    /// (a null ref); on the last block <c>act(v·scale + bias)</c>.
    /// </summary>
    private readonly ref struct Out
    {
        private readonly ReadOnlySpan<float> _steps;
        private readonly int _blocks, _block;
        private readonly bool _first, _last, _bias, _relu;
        private readonly ref float _scale;
        private readonly ref float _biasRef;
        private readonly ref float _groupScale;

        public Out(in Shape s, ReadOnlySpan<float> steps, int block, bool first, bool last, ref float scale, ref float bias, ref float groupScale)
        {
            _steps = steps;
            (_blocks, _block, _first, _last, _bias, _relu) = (s.Blocks, block, first, last, s.HasBias, s.Relu);
            _scale = ref scale;
            _biasRef = ref bias;
            _groupScale = ref groupScale;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Row(int r, Vector256<int> lo, Vector256<int> hi, ref float y)
        {
            Vector256<float> step0 = Vector256.Create(_steps[(r * _blocks) + _block]), step1 = step0;
            if (!Unsafe.IsNullRef(ref _groupScale))
            {
                step0 *= Vector256.LoadUnsafe(ref _groupScale);
                step1 *= Vector256.LoadUnsafe(ref _groupScale, 8);
            }

            Vector256<float> v0 = Avx.ConvertToVector256Single(lo), v1 = Avx.ConvertToVector256Single(hi);
            v0 = _first ? v0 * step0 : Fma.MultiplyAdd(v0, step0, Vector256.LoadUnsafe(ref y));
            v1 = _first ? v1 * step1 : Fma.MultiplyAdd(v1, step1, Vector256.LoadUnsafe(ref y, 8));
            if (_last)
            {
                Vector256<float> b0 = _bias ? Vector256.LoadUnsafe(ref _biasRef) : Vector256<float>.Zero;
                Vector256<float> b1 = _bias ? Vector256.LoadUnsafe(ref _biasRef, 8) : Vector256<float>.Zero;
                v0 = Fma.MultiplyAdd(v0, Vector256.LoadUnsafe(ref _scale), b0);
                v1 = Fma.MultiplyAdd(v1, Vector256.LoadUnsafe(ref _scale, 8), b1);
                if (_relu)
                {
                    v0 = Simd.Relu(v0);
                    v1 = Simd.Relu(v1);
                }
            }

            v0.StoreUnsafe(ref y);
            v1.StoreUnsafe(ref y, 8);
        }
    }

    /// <summary>
    /// The definition the kernel is tested against, in plain loops over the same codes and steps: per output an exact
    /// integer dot product per block, accumulated as <c>fma(dot, step, v)</c> from v = 0, then <c>act(fma(v, scale, bias))</c>.
    /// </summary>
    internal static void Reference(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act)
    {
        int n = w.Rows, k = w.Cols, blocks = FixedPointInputs.Blocks(k);
        var codes = new short[k];
        var steps = new float[blocks];
        for (int r = 0; r < rows; r++)
        {
            if (!FixedPointInputs.Quantize(x.Slice(r * k, k), codes, steps))
            {
                throw new ArgumentException("x holds a NaN, an infinity or a magnitude ≥ 2^100", nameof(x));
            }

            for (int j = 0; j < n; j++)
            {
                float v = 0;
                for (int b = 0; b < blocks; b++)
                {
                    int dot = 0;
                    for (int i = b * BlockSize; i < Math.Min(k, (b + 1) * BlockSize); i++)
                    {
                        dot += codes[i] * w.Int8[(j * k) + i];
                    }

                    v = MathF.FusedMultiplyAdd(dot, steps[b], v);
                }

                v = MathF.FusedMultiplyAdd(v, w.Scales[j], bias.IsEmpty ? 0 : bias[j]);
                y[(r * n) + j] = act == Activation.Relu ? Simd.Relu(v) : v;
            }
        }
    }
}
