using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Dense over a batch (≥ <see cref="DenseGemm.MinRows"/> input rows) with weights kept compact
/// (<see cref="DirectWeights"/>, <see cref="HalfWeights"/>), without a float copy of the weights: <c>yᵀ = W · xᵀ</c>. Each call packs x into
/// panels of NR input rows, <c>xp[k][NR]</c> (rows·K floats, small next to N·K weights), then walks the weights MR rows
/// at a time: those rows are decoded to floats into a per-thread scratch (MR·K floats, row-major, as
/// <see cref="IDecodedRows.DecodeRow"/> writes them, so no transpose) and <see cref="DenseGemm"/>'s register tiles run
/// with the roles swapped: the tile's broadcast operand is the decoded weights, its vector operand the x panel.
/// 256-bit tiles also where AVX-512 is on: <see cref="DenseGemm"/>'s 512-bit tile (8 weight rows × 32 input rows) took
/// twice their time here (wide MLP, Zen 5: int3 at batch 64 5.85 against 2.87–2.92 ms, at batch 8 2.73 against 0.99–1.17 ms (two runs), where
/// it padded x to 32 rows; fp16 and 3-bit palettes alike, `quick wide-ab`, 2026-12-05).
/// </summary>
/// <remarks>
/// Memory: the blob's compact bytes plus per-thread scratch (MR·K + rows·K + MR·NR floats), instead of
/// <see cref="WeightMatrix.PackedDense"/>'s 4 bytes per weight. Time: every weight is decoded once per call (about
/// a batch-1 call's work), spread over the batch's FMAs. Results do not depend on the thread count (threads split
/// the weight-row blocks; each output's sum is computed the same way).
/// </remarks>
internal static class DirectGemm
{
    [ThreadStatic]
    private static float[]? t_panels;

    [ThreadStatic]
    private static float[]? t_rows;

    [ThreadStatic]
    private static Job? t_job;

    /// <summary>Whether <see cref="Run"/> handles a call: weights kept compact (direct codes or 16-bit floats), a SIMD level and enough rows.</summary>
    public static bool Applies(SimdLevel level, int rows, WeightMatrix w) =>
        w.DecodedRows is not null && level != SimdLevel.Scalar && rows >= DenseGemm.MinRows;

    /// <summary>
    /// <c>y[r, j] = act(Σ_k x[r, k]·W[j, k] + bias[j])</c> for <paramref name="rows"/> rows, the weight-row blocks
    /// split over up to <paramref name="threads"/> threads (<see cref="IntraOp"/>).
    /// </summary>
    public static unsafe void Run(SimdLevel level, ReadOnlySpan<float> x, IDecodedRows w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int threads)
    {
        var s = new Shape(level, rows, w.Rows, w.Cols, act) { HasBias = !bias.IsEmpty };
        float[] xp = Grow(ref t_panels, (long)s.Panels * s.Nr * s.K);
        Pack(x, rows, s.K, s.Nr, xp);

        // As DenseGemm: parts of whole weight-row blocks, each worth a hand-off (IntraOp.MinFlopsPerPart).
        int blocks = (s.N + s.Mr - 1) / s.Mr;
        int parts = IntraOp.Parts(threads, 2.0 * rows * s.N * s.K, blocks);
        if (parts == 1)
        {
            Part(s, w, xp, ref MemoryMarshal.GetReference(bias), ref MemoryMarshal.GetReference(y), 0, 1);
            return;
        }

        fixed (float* pb = bias, py = y)
        {
            var job = t_job ??= new Job();
            job.Set(s, w, xp, pb, py);
            IntraOp.Run(job, parts, threads);
            job.Set(s, null, null, null, null);
        }
    }

    /// <summary>Weight-row blocks [blocks·part/parts, blocks·(part+1)/parts) for every x panel.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Part(in Shape s, IDecodedRows w, float[] xp, ref float bias, ref float y, int part, int parts)
    {
        PartBody(in s, w, xp, ref bias, ref y, part, parts);
    }

    // Part's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PartBody(in Shape s, IDecodedRows w, float[] xp, ref float bias, ref float y, int part, int parts)
    {
        int k = s.K, n = s.N, mr = s.Mr, nr = s.Nr, blocks = (n + mr - 1) / mr;

        // One per-thread scratch: MR decoded weight rows, then the MR × NR accumulator.
        float[] scratch = Grow(ref t_rows, ((long)mr * k) + (mr * nr));
        ref float wd = ref MemoryMarshal.GetArrayDataReference(scratch);
        ref float c = ref Unsafe.Add(ref wd, mr * k);
        ref float p0 = ref MemoryMarshal.GetArrayDataReference(xp);
        for (int block = blocks * part / parts, end = blocks * (part + 1) / parts; block < end; block++)
        {
            int j0 = block * mr, live = Math.Min(mr, n - j0);
            for (int i = 0; i < live; i++)
            {
                w.DecodeRow(s.Level, j0 + i, scratch.AsSpan(i * k, k));
            }

            for (int q = 0; q < s.Panels; q++)
            {
                ref float panel = ref Unsafe.Add(ref p0, (nint)q * nr * k);
                for (int pc = 0; pc < k; pc += DenseGemm.Kc)
                {
                    int kc = Math.Min(DenseGemm.Kc, k - pc);
                    ref float wk = ref Unsafe.Add(ref wd, pc);
                    ref float xk = ref Unsafe.Add(ref panel, (nint)pc * nr);
                    if (s.Level == SimdLevel.Vector256)
                    {
                        DenseGemm.TileUpTo6x2<Vector256Width, Vector256<float>>(ref wk, k, live, ref xk, 2 * Vector256<float>.Count, kc, ref c, nr, pc > 0);
                    }
                    else
                    {
                        DenseGemm.TileUpTo6x2<Vector128Width, Vector128<float>>(ref wk, k, live, ref xk, 2 * Vector128<float>.Count, kc, ref c, nr, pc > 0);
                    }
                }

                // c[i][t] is output (row q·NR + t, channel j0 + i): bias and activation as Epilogue applies them, output
                // row by output row so that the stores are consecutive (channel by channel they are N floats apart).
                int r0 = q * nr, count = Math.Min(nr, s.Rows - r0);
                for (int t = 0; t < count; t++)
                {
                    ref float yt = ref Unsafe.Add(ref y, ((nint)(r0 + t) * n) + j0);
                    for (int i = 0; i < live; i++)
                    {
                        float v = Unsafe.Add(ref c, (i * nr) + t) + (s.HasBias ? Unsafe.Add(ref bias, j0 + i) : 0);
                        Unsafe.Add(ref yt, i) = s.Relu ? Simd.Relu(v) : v;
                    }
                }
            }
        }
    }

    /// <summary>x (rows × K, row-major) as panels <c>[⌈rows/NR⌉][K][NR]</c>; rows past the last are 0.</summary>
    private static void Pack(ReadOnlySpan<float> x, int rows, int k, int nr, float[] xp)
    {
        int panels = (rows + nr - 1) / nr;
        for (int q = 0; q < panels; q++)
        {
            Span<float> panel = xp.AsSpan(q * nr * k, nr * k);
            int count = Math.Min(nr, rows - (q * nr));
            if (count < nr)
            {
                panel.Clear();
            }

            for (int t = 0; t < count; t++)
            {
                ReadOnlySpan<float> row = x.Slice((q * nr + t) * k, k);
                for (int i = 0, at = t; i < k; i++, at += nr)
                {
                    panel[at] = row[i];
                }
            }
        }
    }

    /// <summary>The sizes of one call (a value type so parts share it without allocation).</summary>
    private readonly record struct Shape
    {
        public Shape(SimdLevel level, int rows, int n, int k, Activation act)
        {
            Level = level;
            Nr = level == SimdLevel.Vector256 ? 16 : 8;
            Mr = 6;
            Rows = rows;
            N = n;
            K = k;
            Panels = (rows + Nr - 1) / Nr;
            Relu = act == Activation.Relu;
        }

        public SimdLevel Level { get; }

        /// <summary>Input rows per x panel (the tile's vector operand).</summary>
        public int Nr { get; }

        /// <summary>Weight rows per decoded block (the tile's broadcast operand).</summary>
        public int Mr { get; }

        public int Rows { get; }

        public int N { get; }

        public int K { get; }

        public int Panels { get; }

        public bool HasBias { get; init; }

        public bool Relu { get; }
    }

    /// <summary>A parallel call's operands (bias and y fixed by <see cref="Run"/> for the call's duration).</summary>
    private sealed unsafe class Job : IntraOp.IWork
    {
        private Shape _shape;
        private IDecodedRows? _w;
        private float[]? _xp;
        private float* _bias, _y;

        public void Set(Shape shape, IDecodedRows? w, float[]? xp, float* bias, float* y)
        {
            _shape = shape;
            _w = w;
            _xp = xp;
            _bias = bias;
            _y = y;
        }

        public void Run(int part, int parts) => Part(_shape, _w!, _xp!, ref *_bias, ref *_y, part, parts);
    }

    private static float[] Grow(ref float[]? buffer, long length) =>
        buffer is { } b && b.Length >= length ? b : (buffer = new float[Math.Max(length, 64)]);
}
