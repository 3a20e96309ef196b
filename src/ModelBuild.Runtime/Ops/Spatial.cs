using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// Output sizes and pads of windowed operators (Conv, MaxPool, AveragePool), resolved per call from the actual
/// input size (ONNX Conv/MaxPool spec, "auto_pad" and "ceil_mode"; same rule as ONNX Runtime and PyTorch).
/// </summary>
internal static class Spatial
{
    /// <summary>
    /// Output size along one spatial axis and the pads actually used, for an input of <paramref name="size"/>.
    /// </summary>
    /// <returns>false when the window does not fit (output size below 1).</returns>
    public static bool TryResolve(int size, int kernel, int stride, int dilation, int padBegin, int padEnd, string autoPad,
        bool ceil, out int output, out int begin, out int end)
    {
        var extent = ((kernel - 1) * dilation) + 1;
        begin = padBegin;
        end = padEnd;
        switch (autoPad)
        {
            case "SAME_UPPER" or "SAME_LOWER":
                output = (size + stride - 1) / stride;
                var total = Math.Max(0, ((output - 1) * stride) + extent - size);
                var small = total / 2;
                begin = autoPad == "SAME_UPPER" ? small : total - small;
                end = total - begin;
                return output >= 1;
            case "VALID":
                begin = end = 0;
                break;
        }

        var span = (long)size + begin + end - extent;
        if (span < 0)
        {
            output = 0;
            return false;
        }

        var o = (ceil ? (span + stride - 1) / stride : span / stride) + 1;

        // With ceil_mode a last window that would start inside the tail padding is dropped.
        if (ceil && (o - 1) * stride >= size + begin)
        {
            o--;
        }

        output = (int)Math.Min(o, int.MaxValue);
        return output >= 1;
    }

    /// <summary>
    /// Shapes a global pool's output <c>[N, C, 1…]</c> for input <c>[N, C, D1…]</c> (rank 2 to
    /// <see cref="ShapeMath.MaxRank"/>) and returns its storage, the plane count N·C and the positions per plane ∏Di.
    /// </summary>
    /// <returns>Why the input does not fit, or null.</returns>
    public static string? GlobalPoolOutput(OpContext c, int x, int y, out Span<float> output, out int planes, out int positions)
    {
        var xs = c.Shape(x);
        output = default;
        planes = positions = 0;
        if (xs.Length is < 2 or > ShapeMath.MaxRank)
        {
            return $"expects [N, C, …], got {ShapeMath.Format(xs)}.";
        }

        Span<int> ys = stackalloc int[xs.Length];
        ShapeMath.Ones(ys);
        ys[0] = xs[0];
        ys[1] = xs[1];
        planes = xs[0] * xs[1];
        positions = ShapeMath.Product(xs[2..]);
        output = c.OutputFloats(y, ys);
        return null;
    }

    /// <summary>
    /// What is wrong with the window attributes or the input's rank, or null (checked per call: plans can be
    /// hand-edited). Returning the reason keeps the success path free of delegate allocations.
    /// </summary>
    /// <remarks>The spatial rank is <paramref name="kernel"/>'s length, 1 to 3.</remarks>
    public static string? Check(ReadOnlySpan<int> x, int[] kernel, int[] strides, int[] dilations, int[] pads)
    {
        int spatialRank = kernel.Length;
        if (spatialRank is < 1 or > 3)
        {
            return $"supports 1 to 3 spatial axes, not {spatialRank}.";
        }

        if (x.Length != spatialRank + 2)
        {
            return $"expects a {spatialRank + 2}-D input [N, C, spatial…], got {ShapeMath.Format(x)}.";
        }

        if (strides.Length != spatialRank || dilations.Length != spatialRank || pads.Length != 2 * spatialRank)
        {
            return $"kernel_shape, strides, dilations and pads must describe {spatialRank} spatial axes.";
        }

        for (var i = 0; i < spatialRank; i++)
        {
            if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[i + spatialRank] < 0)
            {
                return "kernel sizes, strides and dilations must be ≥ 1 and pads ≥ 0.";
            }
        }

        return null;
    }
    /// <summary>
    /// The output shape <c>[N, OC, output spatial…]</c> of a convolution (ONNX Conv, ConvInteger) over input
    /// <paramref name="x"/> <c>[N, C, spatial…]</c> with a weight matrix of <paramref name="outChannels"/> rows and
    /// <paramref name="weightCols"/> = C / group · Π kernel columns, written to <paramref name="y"/>, with each axis's
    /// resolved begin/end pads; or what does not fit (the caller has run <see cref="Check"/>).
    /// <paramref name="padsMustBeNonNegative"/> rejects auto_pad results that crop (kernels reading a padded image).
    /// </summary>
    public static string? ConvOutput(ReadOnlySpan<int> x, int group, int outChannels, int weightCols, int[] kernel, int[] strides,
        int[] dilations, int[] pads, string autoPad, bool padsMustBeNonNegative, Span<int> y, Span<int> begin, Span<int> end)
    {
        int rank = kernel.Length, taps = 1;
        foreach (int k in kernel)
        {
            taps *= k;
        }

        int channels = x[1];
        if (group < 1 || channels % group != 0 || outChannels % group != 0 || weightCols != channels / group * taps)
        {
            return $"the input {ShapeMath.Format(x)} has {channels} channels; the weight expects {weightCols / taps * group} in {group} group(s).";
        }

        y[0] = x[0];
        y[1] = outChannels;
        for (int i = 0; i < rank; i++)
        {
            if (x[i + 2] < 1 || !TryResolve(x[i + 2], kernel[i], strides[i], dilations[i], pads[i], pads[i + rank], autoPad, false,
                out y[i + 2], out begin[i], out end[i]) || (padsMustBeNonNegative && (begin[i] < 0 || end[i] < 0)))
            {
                return $"the kernel [{string.Join(", ", kernel)}] does not fit the input {ShapeMath.Format(x)}.";
            }
        }

        return null;
    }

    /// <summary>
    /// The channel count R of a fused residual <paramref name="residual"/> after checking it is a float32
    /// <c>[N, R ≤ OC, output spatial…]</c> not sharing storage with the output <paramref name="output"/>; or the reason (always one when
    /// <paramref name="supported"/> is false: the op takes no residual at this rank).
    /// </summary>
    public static string? ResidualChannels(OpContext c, int residual, int output, ReadOnlySpan<int> y, bool supported, out int channels)
    {
        var r = c.Shape(residual);
        bool fits = supported && r.Length == y.Length && r[0] == y[0] && r[1] >= 1 && r[1] <= y[1] && r[2..].SequenceEqual(y[2..])
            && c.TypeOf(residual) == TensorType.Float32 && !c.SameStorage(residual, output);
        channels = fits ? r[1] : 0;
        return fits ? null
            : $"the fused residual {ShapeMath.Format(r)} does not fit the output {ShapeMath.Format(y)} (it needs the output's batch and spatial sizes and at most its channels).";
    }
}
