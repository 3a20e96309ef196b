namespace ModelBuild.Compression.Passes.ActivationScaling;

/// <summary>
/// What AWQ and SmoothQuant need of a layer's input on the calibration data: per input channel the mean and the
/// maximum of |x| (over every sample, and every position for a Conv), and up to <c>maxRows</c> rows the layer
/// multiplies (samples for Gemm/MatMul, im2col patches for a Conv), evenly spaced, to measure output errors on.
/// </summary>
internal sealed class LayerInputs
{
    private LayerInputs(double[] meanAbs, double[] maxAbs, float[] rows, int count, int cols)
    {
        MeanAbs = meanAbs;
        MaxAbs = maxAbs;
        Rows = rows;
        RowCount = count;
        Cols = cols;
    }

    /// <summary>Mean |x| per input channel (length = channels).</summary>
    public double[] MeanAbs { get; }

    /// <summary>Max |x| per input channel.</summary>
    public double[] MaxAbs { get; }

    /// <summary><see cref="RowCount"/> × <see cref="Cols"/> inputs of the layer's matrix product, row-major.</summary>
    public float[] Rows { get; }

    public int RowCount { get; }

    public int Cols { get; }

    public int Channels => MeanAbs.Length;

    /// <summary>True when the layer's weight columns are grouped by one input channel each (Gemm/MatMul, or a 2-D Conv with group 1).</summary>
    public static bool Supported(LayerWeight layer) =>
        !layer.IsConv || (layer.Node.GetInt("group", 1) == 1 && layer.Node.GetInts("kernel_shape") is { Length: 2 });

    /// <summary>Runs the model on the calibration data and gathers <paramref name="layer"/>'s input statistics.</summary>
    public static LayerInputs Record(CompressionContext context, LayerWeight layer, string passName, int maxRows)
    {
        var (data, shape) = context.Record([layer.InputValue], passName)[layer.InputValue];
        return layer.IsConv ? FromConv(data, shape, layer, maxRows) : FromRows(data, layer.Cols, maxRows);
    }

    private static LayerInputs FromRows(float[] data, int cols, int maxRows)
    {
        var n = data.Length / cols;
        var (mean, max) = (new double[cols], new double[cols]);
        for (var i = 0; i < n * cols; i++)
        {
            var a = Math.Abs((double)data[i]);
            mean[i % cols] += a;
            max[i % cols] = Math.Max(max[i % cols], a);
        }

        var step = Math.Max(1, (n + maxRows - 1) / maxRows);
        var picked = Enumerable.Range(0, n).Where(r => r % step == 0).ToList();
        var rows = new float[picked.Count * cols];
        for (var i = 0; i < picked.Count; i++)
        {
            data.AsSpan(picked[i] * cols, cols).CopyTo(rows.AsSpan(i * cols));
        }

        return new LayerInputs(mean.Select(v => v / Math.Max(1, n)).ToArray(), max, rows, picked.Count, cols);
    }

    private static LayerInputs FromConv(float[] data, int[] shape, LayerWeight layer, int maxRows)
    {
        var (n, c, height, width) = (shape[0], shape[1], shape[2], shape[3]);
        var (mean, max) = (new double[c], new double[c]);
        var plane = height * width;
        for (var i = 0; i < data.Length; i++)
        {
            var a = Math.Abs((double)data[i]);
            var channel = i / plane % c;
            mean[channel] += a;
            max[channel] = Math.Max(max[channel], a);
        }

        var conv = layer.Node;
        var k = conv.GetInts("kernel_shape")!;
        var (kh, kw) = ((int)k[0], (int)k[1]);
        var s = conv.GetInts("strides") ?? [1, 1];
        var d = conv.GetInts("dilations") ?? [1, 1];
        var (sh, sw, dh, dw) = ((int)s[0], (int)s[1], (int)d[0], (int)d[1]);
        var (pt, pl, oh, ow) = HessianBuilder.Geometry(conv, height, width, kh, kw, sh, sw, dh, dw);
        var positions = (long)n * oh * ow;
        var step = Math.Max(1, (positions + maxRows - 1) / maxRows);
        var count = (int)((positions + step - 1) / step);
        var rows = new float[count * layer.Cols];
        var i2 = 0;
        for (long p = 0; p < positions; p += step)
        {
            var sample = (int)(p / (oh * ow));
            var (y, x) = ((int)(p % (oh * ow) / ow), (int)(p % ow));
            for (var ch = 0; ch < c; ch++)
            {
                for (var ky = 0; ky < kh; ky++)
                {
                    for (var kx = 0; kx < kw; kx++)
                    {
                        var iy = (y * sh) - pt + (ky * dh);
                        var ix = (x * sw) - pl + (kx * dw);
                        rows[i2++] = iy < 0 || iy >= height || ix < 0 || ix >= width ? 0 : data[(((sample * c) + ch) * plane) + (iy * width) + ix];
                    }
                }
            }
        }

        return new LayerInputs(mean.Select(v => v / Math.Max(1, (long)n * plane)).ToArray(), max, rows, count, layer.Cols);
    }
}
