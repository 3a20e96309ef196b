namespace ModelBuild.Graph.Inference;

/// <summary>Conv and pooling: spatial output sizes from kernel, pads (or auto_pad), strides and dilations.</summary>
internal static class ConvPoolRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Conv"] = Conv;
        rules["ConvTranspose"] = ConvTranspose;
        rules["MaxUnpool"] = MaxUnpool;
        rules["MaxPool"] = c => Pool(c, withIndices: true);
        rules["AveragePool"] = c => Pool(c, withIndices: false);
        rules["LpPool"] = c => Pool(c, withIndices: false);
        rules["GlobalAveragePool"] = GlobalPool;
        rules["GlobalMaxPool"] = GlobalPool;
    }

    private static void Conv(NodeContext c)
    {
        if (c.Shape(0) is not { Rank: >= 3 } x || c.Shape(1) is not { } w)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        if (w.Rank != x.Rank)
        {
            throw c.Fail($"weight {w} and input {x} must have the same rank");
        }

        var group = c.Node.GetInt("group", 1);
        if (x[1].Value is { } channels && w[1].Value is { } perGroup && channels != perGroup * group)
        {
            throw c.Fail($"input has {channels} channels but weight {w} with group={group} expects {perGroup * group}");
        }

        if (w[0].Value is { } oc && oc % group != 0)
        {
            throw c.Fail($"{oc} output channels are not divisible by group={group}");
        }

        if (c.Shape(2) is { } bias && (bias.Rank != 1 || DimMath.Unify(bias[0], w[0]) is null))
        {
            throw c.Fail($"bias {bias} does not match {w[0]} output channels");
        }

        var kernel = c.Node.GetInts("kernel_shape") ?? w.Skip(2).Select(d => d.Value ?? -1).ToArray();
        var spatial = Spatial(c, x, kernel, ceil: false);
        c.Set(0, c.Type(0), new TensorShape(new[] { x[0], w[0] }.Concat(spatial)));
    }

    /// <summary>
    /// [N, W[1]·group, spatial…]: each spatial size from output_shape, or s·in for SAME_*, or
    /// s·(in − 1) + output_padding + (k − 1)·d + 1 − pads (ONNX ConvTranspose spec).
    /// </summary>
    private static void ConvTranspose(NodeContext c)
    {
        if (c.Shape(0) is not { Rank: >= 3 } x || c.Shape(1) is not { } w || w.Rank != x.Rank)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var n = x.Rank - 2;
        var group = c.Node.GetInt("group", 1);
        var kernel = c.Node.GetInts("kernel_shape") ?? w.Skip(2).Select(d => d.Value ?? -1).ToArray();
        var strides = c.Node.GetInts("strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var dilations = c.Node.GetInts("dilations") ?? Enumerable.Repeat(1L, n).ToArray();
        var pads = c.Node.GetInts("pads") ?? new long[2 * n];
        var outputPadding = c.Node.GetInts("output_padding") ?? new long[n];
        var outputShape = c.Node.GetInts("output_shape") is { } os ? os[^Math.Min(n, os.Length)..] : null;
        var autoPad = c.Node.GetString("auto_pad", "NOTSET");
        if (kernel.Length != n || strides.Length != n || dilations.Length != n || pads.Length != 2 * n || outputPadding.Length != n
            || (outputShape is not null && outputShape.Length != n))
        {
            throw c.Fail("kernel_shape, strides, dilations, pads, output_padding or output_shape do not match the number of spatial dimensions");
        }

        var dims = new Dim[n];
        for (var i = 0; i < n; i++)
        {
            long? output = outputShape is not null ? outputShape[i]
                : x[i + 2].Value is not { } size || kernel[i] < 0 ? null
                : autoPad is "SAME_UPPER" or "SAME_LOWER" ? size * strides[i]
                : (strides[i] * (size - 1)) + outputPadding[i] + ((kernel[i] - 1) * dilations[i]) + 1
                    - (autoPad == "VALID" ? 0 : pads[i] + pads[i + n]);
            dims[i] = output switch
            {
                null => Dim.Unknown,
                < 1 => throw c.Fail($"spatial dimension {i} of the output would be {output}"),
                { } v => Dim.Of(v),
            };
        }

        var channels = w[1].Value is { } perGroup ? Dim.Of(perGroup * group) : Dim.Unknown;
        c.Set(0, c.Type(0), new TensorShape(new[] { x[0], channels }.Concat(dims)));
    }

    /// <summary>output_shape when it is a known constant, else [N, C, (in − 1)·s + k − pads…] (ONNX MaxUnpool spec).</summary>
    private static void MaxUnpool(NodeContext c)
    {
        if (c.HasInput(2))
        {
            c.Set(0, c.Type(0), c.ShapeValue(2) is { IsScalar: false } given ? new TensorShape(given.Elements.Select(e => e.ToDim())) : null);
            return;
        }

        if (c.Shape(0) is not { Rank: >= 3 } x || c.Node.GetInts("kernel_shape") is not { } kernel || kernel.Length != x.Rank - 2)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var n = kernel.Length;
        var strides = c.Node.GetInts("strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var pads = c.Node.GetInts("pads") ?? new long[2 * n];
        var dims = Enumerable.Range(0, n).Select(i => x[i + 2].Value is { } size
            ? Dim.Of(Math.Max(0, ((size - 1) * strides[i]) + kernel[i] - pads[i] - pads[i + n]))
            : Dim.Unknown);
        c.Set(0, c.Type(0), new TensorShape(new[] { x[0], x[1] }.Concat(dims)));
    }

    private static void Pool(NodeContext c, bool withIndices)
    {
        if (c.Shape(0) is not { Rank: >= 3 } x || c.Node.GetInts("kernel_shape") is not { } kernel)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var spatial = Spatial(c, x, kernel, ceil: c.Node.GetInt("ceil_mode", 0) != 0);
        var y = new TensorShape(new[] { x[0], x[1] }.Concat(spatial));
        c.Set(0, c.Type(0), y);
        if (withIndices)
        {
            c.Set(1, DataType.Int64, y);
        }
    }

    private static void GlobalPool(NodeContext c)
    {
        var x = c.Shape(0);
        c.Set(0, c.Type(0), x is { Rank: >= 2 } ? new TensorShape(x.Select((d, i) => i < 2 ? d : Dim.Of(1))) : null);
    }

    private static Dim[] Spatial(NodeContext c, TensorShape x, long[] kernel, bool ceil)
    {
        var n = x.Rank - 2;
        if (kernel.Length != n)
        {
            throw c.Fail($"kernel_shape has {kernel.Length} entries for {n} spatial dimensions");
        }

        var strides = c.Node.GetInts("strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var dilations = c.Node.GetInts("dilations") ?? Enumerable.Repeat(1L, n).ToArray();
        var pads = c.Node.GetInts("pads") ?? new long[2 * n];
        var autoPad = c.Node.GetString("auto_pad", "NOTSET");
        if (strides.Length != n || dilations.Length != n || pads.Length != 2 * n)
        {
            throw c.Fail("strides, dilations or pads do not match the number of spatial dimensions");
        }

        var result = new Dim[n];
        for (var i = 0; i < n; i++)
        {
            if (x[i + 2].Value is not { } size || kernel[i] < 0)
            {
                result[i] = Dim.Unknown;
                continue;
            }

            var extent = (dilations[i] * (kernel[i] - 1)) + 1;
            long output = autoPad switch
            {
                "SAME_UPPER" or "SAME_LOWER" => DimMath.CeilDiv(size, strides[i]),
                "VALID" => DimMath.FloorDiv(size - extent, strides[i]) + 1,
                _ => Explicit(size + pads[i] + pads[i + n], extent, strides[i], ceil, size + pads[i]),
            };
            if (output < 1)
            {
                throw c.Fail($"spatial dimension {i} of input {x} is smaller than the kernel");
            }

            result[i] = Dim.Of(output);
        }

        return result;
    }

    private static long Explicit(long padded, long extent, long stride, bool ceil, long inputPlusHeadPad)
    {
        var output = (ceil ? DimMath.CeilDiv(padded - extent, stride) : DimMath.FloorDiv(padded - extent, stride)) + 1;

        // With ceil_mode a last window that would start inside the tail padding is dropped (ONNX spec, ONNX Runtime, PyTorch).
        if (ceil && (output - 1) * stride >= inputPlusHeadPad)
        {
            output--;
        }

        return output;
    }
}
