using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Opt-in threads for a Conv over one image (batch 1): the output channels are cut into runs of whole channel blocks, one
/// run per part, each computed by the single-thread code for those channels (<see cref="Kernels.PackedGroup"/>: its own
/// im2col or phase planes, the same tiles), except im2col convs on AVX2, which split their pixels (<see cref="ConvPixelSplit"/>); <see cref="BlockedWinograd"/> splits its GEMM panels after one shared input
/// transform. Every tile computes its channels alone, so the bits are those of one thread (tested). Calls below two parts of
/// <see cref="IntraOp.MinFlopsPerSplitPart"/> stay on the calling thread, and convs that are not pointwise below two
/// parts of <see cref="MinIm2ColFlopsPerPart"/>.
/// </summary>
internal static unsafe class ConvImageParallel
{
    /// <summary>
    /// Least work per part for a conv that is not pointwise (im2col or phase planes; Winograd convs split on their own
    /// terms), above <see cref="IntraOp.MinFlopsPerSplitPart"/>: each part fills its own im2col columns or phase planes
    /// (or copies its pixels' results into y) besides its GEMM, and the first convs of a model, over 1–3 input
    /// channels, have a short GEMM next to that fill. Split in two they took longer than one thread (AVX2, `quick
    /// split-layers`, 2T / 1T, best and 20th-percentile round): mnist_cnn_fc128's 1 → 32 3×3 on 28² (452 kFLOP)
    /// 1.19 / 1.29, squeezenet_cifar10's 3 → 64 3×3/2 on 32² (778 kFLOP) 1.16 / 1.46. Phase-plane convs and AVX-512
    /// were not measured apart; the fill is repeated per part there too.
    /// </summary>
    public const long MinIm2ColFlopsPerPart = 1 << 20;

    /// <summary>Applies <see cref="MinIm2ColFlopsPerPart"/> (off: tests that run the split paths on small convs, benchmarks' A/B).</summary>
    internal static bool Im2ColMinimum { get; set; } = true;

    /// <summary>Whether <paramref name="s"/> is a conv that is not pointwise with less work than two parts of <see cref="MinIm2ColFlopsPerPart"/>.</summary>
    internal static bool Im2ColTooSmallToSplit(in Conv2DShape s) => MaxIm2ColParts(s, int.MaxValue) < 2;

    /// <summary>At most <paramref name="units"/> parts, and for a conv that is not pointwise at most one per <see cref="MinIm2ColFlopsPerPart"/> of work.</summary>
    private static int MaxIm2ColParts(in Conv2DShape s, int units) =>
        Kernels.IsPointwise(s) ? units : (int)Math.Min(units, 2.0 * s.OC * s.OH * s.OW * s.C * s.KH * s.KW / MinIm2ColFlopsPerPart);

    [ThreadStatic]
    private static float[]? t_scratch;

    [ThreadStatic]
    private static Job? t_job;

    /// <summary>
    /// Runs the conv of one image on up to <paramref name="threads"/> threads; false (nothing done) when the path or the
    /// size does not split: depthwise, grouped, <see cref="WinogradConv"/>, unpacked weights, or too little work.
    /// </summary>
    public static bool Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, Activation act, int threads)
    {
        if (level == SimdLevel.Scalar || s.Group != 1)
        {
            return false;
        }

        if (BlockedWinograd.Applies(level, s, w))
        {
            return BlockedWinograd.RunSplit(level, x, w, bias, y, s, act, threads);
        }

        if (WinogradConv.Applies(level, s, w) || (long)w.Rows * w.Cols > Kernels.MaxPackedConvWeights)
        {
            return false;
        }

        // Runs of whole channel blocks; AVX-512 tiles pair 4-channel blocks, so runs there are whole pairs (the same
        // tiles as one thread). Each part fills its own im2col panel from the input (a few KB) rather than reading one
        // filled by the caller (157 KB for mnist-8's 8 → 16 5×5 conv, to be moved between the cores' caches).
        int unit = Wide512.Enabled ? 2 * ConvGemm.Mr : ConvGemm.Mr;
        int k = s.C * s.KH * s.KW, p = s.OH * s.OW, units = (s.OC + unit - 1) / unit;
        int parts = IntraOp.SplitParts(threads, 2.0 * s.OC * p * k, Im2ColMinimum ? MaxIm2ColParts(s, units) : units);
        if (parts <= 1)
        {
            return false;
        }

        if (FixedPointConv.Applies(level, s, w))
        {
            // False also for a NaN or an infinity in x: the one-thread path then takes the float tiles.
            return FixedPointConv.RunSplit(x, w, bias, y, s, act, threads);
        }

        ReadOnlySpan<float> packed = w.PackedConv(s.OC);
        if (ConvPixelSplit.Applies(level, s) && ConvPixelSplit.Run(level, x, packed, bias, y, s, act, parts, threads))
        {
            return true;
        }

        fixed (float* px = x, pw = packed, pb = bias, py = y)
        {
            var job = t_job ??= new Job();
            job.Set(level, s, act, unit, units, px, x.Length, pw, pb, bias.Length, py);
            IntraOp.Run(job, parts, threads);
            job.Set(level, s, act, 0, 0, null, 0, null, null, 0, null);
        }

        return true;
    }

    /// <summary>A split call's operands as pointers (pinned by <see cref="Run"/> for the call's duration).</summary>
    private sealed class Job : IntraOp.IWork
    {
        private SimdLevel _level;
        private Conv2DShape _s;
        private Activation _act;
        private int _unit, _units, _xLength, _biasLength;
        private float* _x, _packed, _bias, _y;

        public void Set(SimdLevel level, in Conv2DShape s, Activation act, int unit, int units, float* x, int xLength, float* packed, float* bias, int biasLength, float* y)
        {
            (_level, _s, _act, _unit, _units, _xLength, _biasLength) = (level, s, act, unit, units, xLength, biasLength);
            _x = x;
            _packed = packed;
            _bias = bias;
            _y = y;
        }

        public void Run(int part, int parts)
        {
            int u0 = _units * part / parts * _unit, u1 = _units * (part + 1) / parts * _unit;
            int k = _s.C * _s.KH * _s.KW, p = _s.OH * _s.OW;
            var ep = new Epilogue(new ReadOnlySpan<float>(_bias, _biasLength), _act);
            var x = new ReadOnlySpan<float>(_x, _xLength);

            int c0 = Math.Min(_s.OC, u0), c1 = Math.Min(_s.OC, u1);
            if (c1 <= c0)
            {
                return;
            }

            ref float wg = ref Unsafe.AsRef<float>(_packed + ((long)c0 * k));
            ref float yg = ref Unsafe.AsRef<float>(_y + ((long)c0 * p));
            int scratchFloats = Kernels.Conv2DScratch(_s);
            Kernels.PackedGroup(_level, x, ref wg, c1 - c0, c0, Scratch(scratchFloats)[..scratchFloats], _s, ref yg, ep);
        }

        private static Span<float> Scratch(int floats) => ThreadScratch.Get(ref t_scratch, floats);
    }
}
