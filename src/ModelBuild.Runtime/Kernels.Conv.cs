using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>2-D convolution, NCHW, with groups, pads, strides, dilations and a fused activation.</summary>
    /// <param name="x">Inputs, <c>batch·C·H·W</c> floats.</param>
    /// <param name="w">Weights as an <c>OC × (C/group·KH·KW)</c> matrix, any format.</param>
    /// <param name="bias">OC floats, or empty for none.</param>
    /// <param name="y">Outputs, <c>batch·OC·OH·OW</c> floats.</param>
    /// <param name="scratch">At least <see cref="Conv2DScratch"/> floats; overwritten.</param>
    /// <param name="s">The convolution's shape.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="act">The fused activation.</param>
    public static void Conv2D(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
        => Conv2D(x, w, bias, y, scratch, s, batch, act, threads: 1);

    /// <summary>As the public overload, splitting a batch over up to <paramref name="threads"/> threads (<see cref="ConvParallel"/>); results are identical for every thread count.</summary>
    internal static void Conv2D(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act, int threads)
    {
        CheckOperands(w, bias, s);
        Check.AtLeast(x.Length, (long)batch * s.C * s.H * s.W, nameof(x), "batch × C × H × W");
        Check.AtLeast(y.Length, (long)batch * s.OC * s.OH * s.OW, nameof(y), "batch × OC × OH × OW");
        Check.AtLeast(scratch.Length, Conv2DScratch(s), nameof(scratch), "Conv2DScratch(shape)");
        if (threads > 1 && batch == 1 && ChannelVectorConv.Applies(Simd.Best, s) && !TakesWinograd(Simd.Best, s, w))
        {
            // One image's pixel tiles over the threads (a batch is split by images below, each image as with one thread).
            ChannelVectorConv.Run(x, w, bias, y, scratch, s, batch, act, threads);
            return;
        }

        if (threads > 1 && batch > 1)
        {
            ConvParallel.Run(Simd.Best, x, w, bias, y, s, batch, act, threads);
            return;
        }

        if (threads > 1 && batch == 1 && ConvImageParallel.Run(Simd.Best, x, w, bias, y, s, act, threads))
        {
            return;
        }

        Conv2D(Simd.Best, x, w, bias, y, scratch, s, batch, act);
    }

    /// <summary>
    /// As the threaded overload, for output images <paramref name="yImage"/> floats apart (at least OC·OH·OW): a conv
    /// writing its channels of a larger tensor (<c>ConvOp.ConcatChannels</c>). Blocked Winograd runs the batch as one
    /// call, as it would without the gaps; other paths run image by image, each as a batch of one (the same paths and
    /// bits as <c>ConvParallel</c>'s parts), leaving the gaps between images untouched.
    /// </summary>
    internal static void Conv2D(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int yImage, Span<float> scratch, in Conv2DShape s, int batch, Activation act, int threads)
    {
        CheckOperands(w, bias, s);
        int part = s.OC * s.OH * s.OW, image = s.C * s.H * s.W;
        if (yImage < part)
        {
            throw new ArgumentOutOfRangeException(nameof(yImage), $"output images {yImage} floats apart cannot hold OC × OH × OW = {part}.");
        }

        Check.AtLeast(y.Length, ((long)(batch - 1) * yImage) + part, nameof(y), "(batch − 1) × yImage + OC × OH × OW");
        Check.AtLeast(x.Length, (long)batch * image, nameof(x), "batch × C × H × W");
        if (threads <= 1 && BlockedWinograd.Applies(Simd.Best, s, w))
        {
            BlockedWinograd.RunInto(Simd.Best, x, w, bias, y, yImage, s, batch, act);
            return;
        }

        for (int n = 0; n < batch; n++)
        {
            Conv2D(x.Slice(n * image, image), w, bias, y.Slice(n * yImage, part), scratch, s, 1, act, threads);
        }
    }

    /// <summary>The scratch floats <c>Conv2D</c> needs for <paramref name="s"/> (independent of the batch).</summary>
    /// <param name="s">The convolution's shape.</param>
    /// <returns>For depthwise KH·KW plus about two padded planes (the input and the output with KW − 1 extra columns), 0 for a 1×1 stride-1 unpadded conv, else an im2col panel of a few output rows (the whole matrix when small) and their outputs, or for KH·KW &gt; 1 and OW ≥ 16 the input's phase planes (<see cref="PhaseConv"/>) when larger, or for group-1 convs with 8–32 output channels the padded planes and outputs of <see cref="ChannelVectorConv"/> when larger, or for the 3×3 shapes <see cref="WinogradConv"/> takes its planes and chunk when larger.</returns>
    public static int Conv2DScratch(in Conv2DShape s)
    {
        if (IsDepthwise(s))
        {
            return DepthwiseConv.Scratch(s);
        }

        int direct = IsPointwise(s) ? 0 : Math.Max(Math.Max(Im2Col.Scratch(s), checked((int)PhaseConv.Scratch(s))), checked((int)ChannelVectorConv.Scratch(s)));
        return WinogradConv.ShapeApplies(s) ? Math.Max(direct, checked((int)WinogradConv.Scratch(s))) : direct;
    }

    /// <summary>Weight counts up to this get a packed float copy (see <see cref="WeightMatrix.PackedConv"/>): 16 MB.</summary>
    internal const int MaxPackedConvWeights = 1 << 22;

    // packed = false forces the unpacked path, which weights above MaxPackedConvWeights take (tested both ways).
    // batched = true: take ConvBatch's path (when it applies to the shape) even for one image, as ConvParallel's parts
    // do, so that a part's images go through the same panels as with one thread.
    // winograd = false: the direct path for shapes WinogradConv takes (benchmarks compare the two).
    internal static void Conv2D(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act, bool packed = true, bool batched = false,
        bool winograd = true)
    {
        if (IsDepthwise(s))
        {
            DepthwiseConv.Run(level, x, w, bias, y, scratch, s, batch, act);
            return;
        }

        if (packed && winograd && BlockedWinograd.Applies(level, s, w))
        {
            BlockedWinograd.Run(level, x, w, bias, y, s, batch, act);
            return;
        }

        if (packed && winograd && WinogradConv.Applies(level, s, w))
        {
            WinogradConv.Run(level, x, w, bias, y, scratch, s, batch, act);
            return;
        }

        if (packed && ChannelVectorConv.Applies(level, s))
        {
            ChannelVectorConv.Run(x, w, bias, y, scratch, s, batch, act);
            return;
        }

        if (packed && (long)w.Rows * w.Cols <= MaxPackedConvWeights)
        {
            ConvPacked(level, x, w, bias, y, scratch, s, batch, act, batched);
            return;
        }

        switch (w.Format)
        {
            case WeightFormat.Float32:
                ConvIm2Col<Float32Loader>(level, x, w, bias, y, scratch, s, batch, act);
                break;
            case WeightFormat.Int8:
                ConvIm2Col<Int8Loader>(level, x, w, bias, y, scratch, s, batch, act);
                break;
            default:
                ConvIm2Col<Int8AsymLoader>(level, x, w, bias, y, scratch, s, batch, act);
                break;
        }
    }

    /// <summary>
    /// <c>y = act(conv(x) + r)</c>, where the residual <paramref name="residual"/> (<c>batch·R·OH·OW</c> floats) is added
    /// to the first <paramref name="residualChannels"/> = R output channels of each sample and the others get nothing
    /// (a residual zero-padded along channels, as BlazeFace's blocks pad theirs). Same values, bit for bit, as the conv
    /// without activation followed by Add and the activation. Packed pointwise and phase convs add it in the tiles'
    /// epilogue while the outputs are in registers; the other paths add it in a second pass.
    /// </summary>
    internal static void Conv2D(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act,
        ReadOnlySpan<float> residual, int residualChannels)
    {
        Check.BiasLength(bias, s.OC); // the 512-bit tiles read the bias unchecked (ZmmEpilogue)
        if (residualChannels == 0)
        {
            Conv2D(level, x, w, bias, y, scratch, s, batch, act);
            return;
        }

        int p = s.OH * s.OW;
        if (residualChannels < 0 || residualChannels > s.OC || residual.Length < (long)batch * residualChannels * p)
        {
            throw new ArgumentException($"the residual must hold {batch}×{residualChannels}×{p} floats for at most {s.OC} channels.", nameof(residual));
        }

        // A batch that ConvBatch runs as one GEMM keeps that path (then the second pass), so the fused op gives the
        // unfused ops' bits for every batch size.
        bool oneGemm = batch > 1 && ConvBatch.Applies(s, IsPointwise(s)) && !PhaseConv.Applies(level, s);
        // Winograd convs write y from their output transform, so they take the second pass too.
        if (!oneGemm && !IsDepthwise(s) && !WinogradConv.Applies(level, s, w) && !BlockedWinograd.Applies(level, s, w) && (long)w.Rows * w.Cols <= MaxPackedConvWeights && !ChannelVectorConv.Applies(level, s)
            && (IsPointwise(s) || PhaseConv.Applies(level, s)))
        {
            ConvPacked(level, x, w, bias, y, scratch, s, batch, act, batched: false, residual, residualChannels);
            return;
        }

        Conv2D(level, x, w, bias, y, scratch, s, batch, Activation.None);
        AddResidual(level, y, residual, s.OC, residualChannels, p, batch, act);
    }

    // The second pass of the residual for paths whose tiles do not write y directly (im2col chunks, depthwise, unpacked):
    // the Add and Relu ops' own loops, so the values are the unfused ones bit for bit.
    private static void AddResidual(SimdLevel level, Span<float> y, ReadOnlySpan<float> residual, int oc, int rc, int p, int batch, Activation act)
    {
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float rr = ref MemoryMarshal.GetReference(residual);
        for (int n = 0; n < batch; n++)
        {
            ref float yn = ref Unsafe.Add(ref yr, (nint)n * oc * p);
            Elementwise.VV<AddOperator>(level, ref yn, ref Unsafe.Add(ref rr, (nint)n * rc * p), ref yn, rc * p);
            if (act == Activation.Relu)
            {
                Span<float> all = MemoryMarshal.CreateSpan(ref yn, oc * p);
                Elementwise.Unary(level, default(ReluOperator), all, all);
            }
        }
    }

    // The one-thread order takes Winograd before ChannelVectorConv; a split must take the same path, or a thread
    // count would change the bits (3×3 convs of 16–32 channels on small images fit both).
    private static bool TakesWinograd(SimdLevel level, in Conv2DShape s, WeightMatrix w) =>
        BlockedWinograd.Applies(level, s, w) || WinogradConv.Applies(level, s, w);

    private static bool IsDepthwise(in Conv2DShape s) => s.Group == s.C && s.OC == s.C && s.Group > 1;

    // 1×1, stride 1, no padding: the input [C/group, H·W] already is the im2col matrix.
    internal static bool IsPointwise(in Conv2DShape s) =>
        s.KH == 1 && s.KW == 1 && s.SH == 1 && s.SW == 1 && s.PadTop == 0 && s.PadLeft == 0 && s.PadBottom == 0 && s.PadRight == 0
        && s.OH == s.H && s.OW == s.W;

    private static void CheckOperands(WeightMatrix w, ReadOnlySpan<float> bias, in Conv2DShape s)
    {
        ArgumentNullException.ThrowIfNull(w);
        CheckConvShape(s);
        if (w.Rows != s.OC || w.Cols != s.C / s.Group * s.KH * s.KW)
        {
            throw new ArgumentException($"w must be {s.OC}×{s.C / s.Group * s.KH * s.KW} (OC × C/group·KH·KW) but is {w.Rows}×{w.Cols}.", nameof(w));
        }

        Check.BiasLength(bias, s.OC);
    }

    private static void CheckConvShape(in Conv2DShape s)
    {
        if (s.C <= 0 || s.OC <= 0 || s.H <= 0 || s.W <= 0 || s.OH <= 0 || s.OW <= 0 || s.KH <= 0 || s.KW <= 0
            || s.SH <= 0 || s.SW <= 0 || s.DH <= 0 || s.DW <= 0 || s.Group <= 0
            || s.PadTop < 0 || s.PadLeft < 0 || s.PadBottom < 0 || s.PadRight < 0 || s.C % s.Group != 0 || s.OC % s.Group != 0)
        {
            throw new ArgumentException($"Invalid convolution shape {s}: sizes, strides and dilations must be positive, pads ≥ 0, C and OC multiples of Group.", nameof(s));
        }
    }

    private static void ConvIm2Col<TL>(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
        where TL : struct, IWeightLoader
    {
        int cg = s.C / s.Group, ocg = s.OC / s.Group, p = s.OH * s.OW, hw = s.H * s.W, k = cg * s.KH * s.KW;
        bool pointwise = IsPointwise(s);
        var ep = new Epilogue(w, bias, act);
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (int n = 0; n < batch; n++)
        {
            for (int g = 0; g < s.Group; g++)
            {
                ReadOnlySpan<float> xg = x.Slice(((n * s.C) + (g * cg)) * hw, cg * hw);
                ref float yg = ref Unsafe.Add(ref yr, ((nint)(n * s.OC) + (g * ocg)) * p);
                if (pointwise)
                {
                    ConvGemm.Run<TL>(level, w, g * ocg, ocg, ref MemoryMarshal.GetReference(xg), k, p, ref yg, ep);
                    continue;
                }

                for (var chunk = new Im2Col.Chunks(level, s, cg, scratch); chunk.Next(xg);)
                {
                    ConvGemm.Run<TL>(level, w, g * ocg, ocg, ref chunk.Col, k, chunk.Pixels, ref chunk.Output(ref yg, ocg), ep);
                    chunk.CopyOut(ref yg, ocg);
                }
            }
        }
    }

    // residualChannels > 0 only where every output is written by a tile straight into y (pointwise or PhaseConv): the
    // epilogue finds each output's residual at a fixed element offset, valid because both buffers are pinned here.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void ConvPacked(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act, bool batched,
        ReadOnlySpan<float> residual = default, int residualChannels = 0)
    {
        ConvPackedBody(level, x, w, bias, y, scratch, in s, batch, act, batched, residual, residualChannels);
    }

    // ConvPacked's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ConvPackedBody(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act, bool batched,
        ReadOnlySpan<float> residual = default, int residualChannels = 0)
    {
        int cg = s.C / s.Group, ocg = s.OC / s.Group, p = s.OH * s.OW, hw = s.H * s.W, k = cg * s.KH * s.KW;
        int groupFloats = (ocg + ConvGemm.Mr - 1) / ConvGemm.Mr * ConvGemm.Mr * k;
        bool pointwise = IsPointwise(s);
        var plain = new Epilogue(bias, act);
        bool batchGemm = residualChannels == 0 && (batched || batch > 1) && ConvBatch.Applies(s, pointwise) && !PhaseConv.Applies(level, s);

        // Int8 pointwise convs image by image in integers (the float tiles' packed copy is made only if an input holds a NaN or an infinity).
        bool integer = !batchGemm && FixedPointConv.Applies(level, s, w);
        ref float pw = ref integer ? ref Unsafe.NullRef<float>() : ref MemoryMarshal.GetReference(w.PackedConv(ocg));
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (batchGemm)
        {
            ConvBatch.Run(level, x, ref pw, y, s, batch, pointwise, plain);
            return;
        }

        fixed (float* py = y, pr = residual)
        {
            for (int n = 0; n < batch; n++)
            {
                var ep = residualChannels == 0 ? plain
                    : plain.WithResidual((nint)((pr + ((long)n * residualChannels * p)) - (py + ((long)n * s.OC * p))), residualChannels);
                if (integer)
                {
                    if (FixedPointConv.Run(x.Slice(n * s.C * hw, s.C * hw), w, y.Slice(n * s.OC * p, s.OC * p), s, 0, s.OC, ep))
                    {
                        continue;
                    }

                    pw = ref MemoryMarshal.GetReference(w.PackedConv(ocg));
                }

                for (int g = 0; g < s.Group; g++)
                {
                    ReadOnlySpan<float> xg = x.Slice(((n * s.C) + (g * cg)) * hw, cg * hw);
                    ref float yg = ref Unsafe.Add(ref yr, ((nint)(n * s.OC) + (g * ocg)) * p);
                    PackedGroup(level, xg, ref Unsafe.Add(ref pw, (nint)g * groupFloats), ocg, g * ocg, scratch, s, ref yg, ep);
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="oc"/> output channels of one image's group from its input <paramref name="xg"/> (C/group planes):
    /// packed weights from <paramref name="wg"/>, outputs (OH·OW floats per channel) from <paramref name="yg"/>, channel
    /// <paramref name="j0"/> first for the epilogue. Any run of whole 4-channel blocks gives the same bits as the whole group
    /// (every tile computes its channels alone), which <see cref="ConvImageParallel"/> relies on.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void PackedGroup(SimdLevel level, ReadOnlySpan<float> xg, ref float wg, int oc, int j0, Span<float> scratch, in Conv2DShape s, ref float yg, in Epilogue ep)
    {
        PackedGroupBody(level, xg, ref wg, oc, j0, scratch, in s, ref yg, in ep);
    }

    // PackedGroup's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackedGroupBody(SimdLevel level, ReadOnlySpan<float> xg, ref float wg, int oc, int j0, Span<float> scratch, in Conv2DShape s, ref float yg, in Epilogue ep)
    {
        int cg = s.C / s.Group, p = s.OH * s.OW, k = cg * s.KH * s.KW;
        if (IsPointwise(s))
        {
            ConvGemm.RunPacked(level, ref wg, oc, ref MemoryMarshal.GetReference(xg), k, p, ref yg, j0, ep);
            return;
        }

        if (PhaseConv.Applies(level, s))
        {
            PhaseConv.Run(level, xg, ref wg, oc, j0, scratch, s, cg, ref yg, ep);
            return;
        }

        for (var chunk = new Im2Col.Chunks(level, s, cg, scratch); chunk.Next(xg);)
        {
            ConvGemm.RunPacked(level, ref wg, oc, ref chunk.Col, k, chunk.Pixels, ref chunk.Output(ref yg, oc), j0, ep);
            chunk.CopyOut(ref yg, oc);
        }
    }

    /// <summary>⌈a / b⌉ for b &gt; 0 and any sign of a.</summary>
    internal static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
