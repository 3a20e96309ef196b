using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX ConvTranspose over 1, 2 or 3 spatial axes: groups, strides, dilations, pads, output_padding, output_shape,
/// auto_pad and bias. The output size is computed per call from the input's spatial sizes.
/// </summary>
/// <remarks>
/// Per axis (ONNX ConvTranspose spec): the full output is <c>s·(in − 1) + output_padding + (k − 1)·d + 1</c>. Explicit
/// pads crop it at both ends. With <c>output_shape</c>, the total padding is <c>full − output_shape</c> (a negative
/// total only adds zero outputs at the end, as ONNX Runtime does), split with the extra unit at the end for
/// SAME_UPPER and at the start otherwise (the spec's rule). SAME_UPPER/SAME_LOWER without output_shape aim at
/// <c>in·s</c> outputs, splitting the same way. VALID crops nothing.
/// </remarks>
/// <param name="X">Input <c>[N, C, spatial…]</c>.</param>
/// <param name="Y">Output <c>[N, OC, spatial…]</c>.</param>
/// <param name="Weight">Blob entry of the weights as a <c>(OC·KD·KH·KW) × (C/group)</c> matrix, rows (group, oc, taps).</param>
/// <param name="Bias">Blob entry of OC floats, or -1.</param>
/// <param name="KernelShape">Kernel size per spatial axis.</param>
/// <param name="Strides">Strides.</param>
/// <param name="Dilations">Dilations.</param>
/// <param name="Pads">[begin…, end…] (used when AutoPad is NOTSET and OutputShape is empty).</param>
/// <param name="OutputPadding">Extra outputs at the end of each axis.</param>
/// <param name="OutputShape">The requested spatial output size, or empty.</param>
/// <param name="AutoPad">ONNX auto_pad.</param>
/// <param name="Group">Number of groups.</param>
public sealed record ConvTransposeOp(int X, int Y, int Weight, int Bias, int[] KernelShape, int[] Strides, int[] Dilations, int[] Pads,
    int[] OutputPadding, int[] OutputShape, string AutoPad, int Group) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        int rank = KernelShape.Length;
        if (Spatial.Check(xs, KernelShape, Strides, Dilations, Pads) is { } problem)
        {
            throw Fail(problem);
        }

        if (OutputPadding.Length != rank || (OutputShape.Length != 0 && OutputShape.Length != rank))
        {
            throw Fail($"output_padding and output_shape must describe {rank} spatial axes.");
        }

        var w = c.Matrix(Weight);
        int kvol = 1;
        foreach (int k in KernelShape)
        {
            kvol *= k;
        }

        int ch = xs[1], oc = w.Rows / kvol;
        if (Group < 1 || ch % Group != 0 || w.Rows % kvol != 0 || oc % Group != 0 || w.Cols != ch / Group)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} has {ch} channels; the weight expects {w.Cols * Group} in {Group} group(s).");
        }

        Span<int> ys = stackalloc int[rank + 2];
        Span<int> begin = stackalloc int[rank];
        ys[0] = xs[0];
        ys[1] = oc;
        for (int i = 0; i < rank; i++)
        {
            ys[i + 2] = Resolve(i, xs[i + 2], out begin[i]);
            if (ys[i + 2] < 1)
            {
                throw Fail($"the output size along spatial axis {i} is {ys[i + 2]} for the input {ShapeMath.Format(xs)}.");
            }
        }

        var s = new ConvTransposeShape(ch, oc, Group, Dims3.Trailing(xs[2..], 1), Dims3.Trailing(ys[2..], 1), Dims3.Trailing(KernelShape, 1),
            Dims3.Trailing(Strides, 1), Dims3.Trailing(Dilations, 1), Dims3.Trailing(begin, 0));
        var y = c.OutputFloats(Y, ys);
        var scratch = c.Scratch(Kernels.ConvTransposeScratch(s));
        Kernels.ConvTranspose(Simd.Best, c.Floats(X), w, c.BlobFloats(Bias), y, scratch, s, xs[0]);
    }

    private int Resolve(int i, int size, out int begin)
    {
        int rank = KernelShape.Length;
        long full = ((long)Strides[i] * (size - 1)) + OutputPadding[i] + ((long)(KernelShape[i] - 1) * Dilations[i]) + 1;
        long output;
        long total;
        if (OutputShape.Length != 0 || AutoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            output = OutputShape.Length != 0 ? OutputShape[i] : (long)size * Strides[i];
            total = Math.Max(0, full - output);
            begin = (int)(AutoPad == "SAME_UPPER" ? total / 2 : total - (total / 2));
        }
        else if (AutoPad == "VALID")
        {
            output = full;
            begin = 0;
        }
        else
        {
            output = full - Pads[i] - Pads[i + rank];
            begin = Pads[i];
        }

        return (int)Math.Clamp(output, int.MinValue, int.MaxValue);
    }
}
