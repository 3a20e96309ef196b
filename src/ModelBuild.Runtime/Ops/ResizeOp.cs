using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Resize (opsets 10–19) and Upsample, float tensors of any rank: nearest (every <c>nearest_mode</c>), linear
/// (bi-/tri-/N-linear) or cubic (<c>cubic_coeff_a</c>, <c>exclude_outside</c>), every
/// <c>coordinate_transformation_mode</c>, output given by <c>scales</c> or <c>sizes</c> (constants or values computed per
/// call), <c>axes</c> and <c>keep_aspect_ratio_policy</c>. The interpolation is separable, so it runs one axis at a time
/// (the most shrinking first, then the innermost), skipping axes that map every index to itself.
/// </summary>
/// <remarks>
/// Output sizes: <c>sizes[i]</c>, or ⌊scales[i]·in⌋ computed in float32 as ONNX Runtime does. With a
/// keep_aspect_ratio_policy other than stretch, one scale (the min or max of sizes/in over the resized axes) gives
/// ⌊scale·in + ½⌋. Source coordinates and tap weights: see <see cref="ResizeTaps"/>.
/// </remarks>
/// <param name="X">Input, float, any rank.</param>
/// <param name="Y">Output, same rank.</param>
/// <param name="Roi">Value id of the float roi [starts…, ends…] (tf_crop_and_resize), or -1.</param>
/// <param name="Scales">Value id of the float scales, or -1.</param>
/// <param name="Sizes">Value id of the int64 sizes, or -1 (used instead of scales when present).</param>
/// <param name="Axes">The axes scales/sizes/roi describe (opset 18); empty = all.</param>
/// <param name="Mode">Nearest, linear or cubic.</param>
/// <param name="Coordinates">The coordinate transformation.</param>
/// <param name="Nearest">The rounding of nearest mode.</param>
/// <param name="CubicA">cubic_coeff_a.</param>
/// <param name="ExcludeOutside">exclude_outside (cubic).</param>
/// <param name="ExtrapolationValue">The output where tf_crop_and_resize samples outside the input.</param>
/// <param name="AspectRatio">keep_aspect_ratio_policy.</param>
public sealed record ResizeOp(int X, int Y, int Roi, int Scales, int Sizes, int[] Axes, ResizeMode Mode, ResizeCoordinates Coordinates,
    NearestRounding Nearest, float CubicA, bool ExcludeOutside, float ExtrapolationValue, AspectRatioPolicy AspectRatio) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        int rank = xs.Length;
        if (rank is 0 or > ShapeMath.MaxRank)
        {
            throw Fail($"expects an input of rank 1 to {ShapeMath.MaxRank}, got {ShapeMath.Format(xs)}.");
        }

        Span<int> axes = stackalloc int[rank];
        int na = ResolveAxes(axes, rank);
        axes = axes[..na];
        Span<int> ys = stackalloc int[rank];
        Span<double> scale = stackalloc double[rank];
        Span<double> roiStart = stackalloc double[rank];
        Span<double> roiEnd = stackalloc double[rank];
        xs.CopyTo(ys);
        Simd.Fill(scale, 1);
        roiStart.Clear();
        Simd.Fill(roiEnd, 1);
        OutputShape(c, xs, axes, ys, scale);
        if (Coordinates == ResizeCoordinates.TfCropAndResize && Roi >= 0)
        {
            var roi = c.Floats(Roi);
            if (roi.Length != 2 * na)
            {
                throw Fail($"roi has {roi.Length} values; {2 * na} expected (starts then ends of {na} axes).");
            }

            for (int i = 0; i < na; i++)
            {
                roiStart[axes[i]] = roi[i];
                roiEnd[axes[i]] = roi[i + na];
            }
        }

        var y = c.OutputFloats(Y, ys);
        if (y.Length == 0)
        {
            return;
        }

        if (ShapeMath.Product(xs) == 0)
        {
            throw Fail($"cannot resize the empty input {ShapeMath.Format(xs)} to {ShapeMath.Format(ys)}.");
        }

        Run(c, xs, ys, axes, scale, roiStart, roiEnd, y);
    }

    private int ResolveAxes(Span<int> axes, int rank)
    {
        if (Axes.Length == 0)
        {
            for (int i = 0; i < rank; i++)
            {
                axes[i] = i;
            }

            return rank;
        }

        int seen = 0;
        if (Axes.Length > rank)
        {
            throw Fail($"{Axes.Length} axes for a rank-{rank} input.");
        }

        for (int i = 0; i < Axes.Length; i++)
        {
            if (!ShapeMath.TryAxis(Axes[i], rank, out axes[i]) || (seen & (1 << axes[i])) != 0)
            {
                throw Fail($"axis {Axes[i]} is outside the rank-{rank} input or repeated.");
            }

            seen |= 1 << axes[i];
        }

        return Axes.Length;
    }

    private void OutputShape(OpContext c, ReadOnlySpan<int> xs, ReadOnlySpan<int> axes, Span<int> ys, Span<double> scale)
    {
        var sizes = Sizes >= 0 ? c.Longs(Sizes) : default;
        var scales = Scales >= 0 ? c.Floats(Scales) : default;
        if (!sizes.IsEmpty)
        {
            if (sizes.Length != axes.Length)
            {
                throw Fail($"sizes has {sizes.Length} values for {axes.Length} axes.");
            }

            double common = AspectRatio == AspectRatioPolicy.NotLarger ? double.MaxValue : 0;
            for (int i = 0; i < axes.Length; i++)
            {
                int a = axes[i];
                if (sizes[i] < 0 || sizes[i] > int.MaxValue || (xs[a] == 0 && sizes[i] != 0))
                {
                    throw Fail($"sizes[{i}] = {sizes[i]} is not a valid size for an axis of {xs[a]}.");
                }

                ys[a] = (int)sizes[i];
                scale[a] = xs[a] == 0 ? 1 : (double)sizes[i] / xs[a];
                common = AspectRatio == AspectRatioPolicy.NotLarger ? Math.Min(common, scale[a]) : Math.Max(common, scale[a]);
            }

            if (AspectRatio != AspectRatioPolicy.Stretch)
            {
                foreach (int a in axes)
                {
                    scale[a] = common;
                    ys[a] = (int)Math.Floor((common * xs[a]) + 0.5);
                }
            }

            return;
        }

        if (scales.IsEmpty)
        {
            throw Fail("neither scales nor sizes is given.");
        }

        if (scales.Length != axes.Length)
        {
            throw Fail($"scales has {scales.Length} values for {axes.Length} axes.");
        }

        for (int i = 0; i < axes.Length; i++)
        {
            int a = axes[i];
            if (!(scales[i] > 0) || float.IsInfinity(scales[i]))
            {
                throw Fail($"scales[{i}] = {scales[i]} is not a positive number.");
            }

            // float32 product, then truncation: ONNX Runtime's output size.
            float size = MathF.Floor(scales[i] * xs[a]);
            ys[a] = size < int.MaxValue ? (int)size : throw Fail($"scales[{i}] = {scales[i]} gives a too large output.");
            scale[a] = scales[i];
        }
    }

    private void Run(OpContext c, ReadOnlySpan<int> xs, ReadOnlySpan<int> ys, ReadOnlySpan<int> axes,
        ReadOnlySpan<double> scale, ReadOnlySpan<double> roiStart, ReadOnlySpan<double> roiEnd, Span<float> y)
    {
        var sampling = new ResizeSampling(Mode, Coordinates, Nearest, CubicA, ExcludeOutside);
        int taps = sampling.Taps, na = axes.Length;

        // Pass order: the most shrinking axis first (less work after it), ties innermost first (the gather pass then
        // runs on the smaller tensor when enlarging).
        Span<int> order = stackalloc int[na];
        axes.CopyTo(order);
        for (int i = 1; i < na; i++)
        {
            for (int k = i; k > 0 && Before(order[k], order[k - 1], xs, ys); k--)
            {
                (order[k], order[k - 1]) = (order[k - 1], order[k]);
            }
        }

        // Scratch: per axis idx (ints), weights and outside flags, then two ping-pong buffers.
        Span<int> cur = stackalloc int[xs.Length];
        xs.CopyTo(cur);
        long tables = 0, buffer = 0;
        foreach (int a in order)
        {
            tables += ((2L * taps) + 1) * ys[a];
            cur[a] = ys[a];
            buffer = Math.Max(buffer, ShapeMath.Product(cur));
        }

        long total = tables + (2 * buffer);
        Span<float> scratch = c.Scratch(total <= int.MaxValue ? (int)total : throw Fail("the intermediate tensors are too large."));
        Span<float> bufA = scratch.Slice((int)tables, (int)buffer);
        Span<float> bufB = scratch.Slice((int)(tables + buffer), (int)buffer);
        Span<bool> active = stackalloc bool[xs.Length];
        Span<int> offset = stackalloc int[xs.Length];
        int used = 0, lastActive = -1;
        foreach (int a in order)
        {
            offset[a] = used;
            int n = ys[a];
            Span<int> idx = MemoryMarshal.Cast<float, int>(scratch.Slice(used, taps * n));
            Span<float> wt = scratch.Slice(used + (taps * n), taps * n);
            Span<int> outside = MemoryMarshal.Cast<float, int>(scratch.Slice(used + (2 * taps * n), n));
            active[a] = !ResizeTaps.Build(sampling, xs[a], n, scale[a], roiStart[a], roiEnd[a], idx, wt, outside);
            lastActive = active[a] ? a : lastActive;
            used += ((2 * taps) + 1) * n;
        }

        xs.CopyTo(cur);
        ReadOnlySpan<float> src = c.Floats(X);
        bool toA = true;
        var level = Simd.Best;
        foreach (int a in order)
        {
            if (!active[a])
            {
                continue;
            }

            int n = ys[a], off = offset[a];
            int outer = ShapeMath.Product(cur[..a]), inner = ShapeMath.Product(cur[(a + 1)..]);
            Span<float> dst = a == lastActive ? y : (toA ? bufA : bufB);
            Kernels.ResizeAxis(level, src, dst, outer, cur[a], n, inner,
                MemoryMarshal.Cast<float, int>(scratch.Slice(off, taps * n)), scratch.Slice(off + (taps * n), taps * n), taps);
            cur[a] = n;
            src = dst;
            toA = !toA;
        }

        if (lastActive < 0)
        {
            src.CopyTo(y);
        }

        if (Coordinates == ResizeCoordinates.TfCropAndResize)
        {
            foreach (int a in order)
            {
                int n = ys[a];
                Kernels.ResizeExtrapolate(y, ys, a, MemoryMarshal.Cast<float, int>(scratch.Slice(offset[a] + (2 * taps * n), n)), ExtrapolationValue);
            }
        }
    }

    private static bool Before(int a, int b, ReadOnlySpan<int> xs, ReadOnlySpan<int> ys)
    {
        double ra = (double)ys[a] / xs[a], rb = (double)ys[b] / xs[b];
        return ra < rb || (ra == rb && a > b);
    }
}
