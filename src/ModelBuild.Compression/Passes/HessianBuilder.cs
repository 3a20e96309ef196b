using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes;

/// <summary>Second moments H = XᵀX / n of a layer's inputs, in float64 (the OBS/GPTQ/SparseGPT Hessian up to a factor 2).</summary>
public static class HessianBuilder
{
    /// <summary>Convolutions have many patches per image; this many rows estimate H well and keep the cost bounded.</summary>
    public const int MaxConvRows = 8192;

    /// <summary>H from rows of length <paramref name="cols"/> (a Gemm/MatMul input; leading dims are rows).</summary>
    public static double[] FromRows(ReadOnlySpan<float> data, int cols)
    {
        var n = data.Length / cols;
        var h = new double[cols * cols];
        var row = new double[cols];
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                row[c] = data[(r * cols) + c];
            }

            Accumulate(h, row, cols);
        }

        return Finish(h, cols, n);
    }

    /// <summary>H from the im2col patches of a 2-D convolution's input ([N, C, H, W]); grouped convs pool all groups.</summary>
    public static double[] FromConv(ReadOnlySpan<float> data, int[] shape, Node conv, int cols)
    {
        var (n, c, height, width) = (shape[0], shape[1], shape[2], shape[3]);
        var group = (int)conv.GetInt("group", 1);
        var k = conv.GetInts("kernel_shape") ?? throw new InvalidOperationException($"{conv} has no kernel_shape.");
        var (kh, kw) = ((int)k[0], (int)k[1]);
        var s = conv.GetInts("strides") ?? [1, 1];
        var d = conv.GetInts("dilations") ?? [1, 1];
        var (sh, sw, dh, dw) = ((int)s[0], (int)s[1], (int)d[0], (int)d[1]);
        var (pt, pl, oh, ow) = Geometry(conv, height, width, kh, kw, sh, sw, dh, dw);
        var cg = c / group;
        var positions = (long)n * group * oh * ow;
        var step = Math.Max(1, (int)(positions / MaxConvRows));
        var h = new double[cols * cols];
        var patch = new double[cols];
        var used = 0;
        for (long p = 0; p < positions; p += step)
        {
            var sample = (int)(p / ((long)group * oh * ow));
            var rest = (int)(p % ((long)group * oh * ow));
            var g = rest / (oh * ow);
            var (y, x) = (rest % (oh * ow) / ow, rest % ow);
            var i = 0;
            for (var ch = 0; ch < cg; ch++)
            {
                for (var ky = 0; ky < kh; ky++)
                {
                    for (var kx = 0; kx < kw; kx++)
                    {
                        var iy = (y * sh) - pt + (ky * dh);
                        var ix = (x * sw) - pl + (kx * dw);
                        patch[i++] = iy < 0 || iy >= height || ix < 0 || ix >= width ? 0
                            : data[(((sample * c) + (g * cg) + ch) * height * width) + (iy * width) + ix];
                    }
                }
            }

            Accumulate(h, patch, cols);
            used++;
        }

        return Finish(h, cols, used);
    }

    internal static (int PadTop, int PadLeft, int OutH, int OutW) Geometry(Node conv, int h, int w, int kh, int kw, int sh, int sw, int dh, int dw)
    {
        var autoPad = conv.GetString("auto_pad", "NOTSET");
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            var (oh, ow) = ((h + sh - 1) / sh, (w + sw - 1) / sw);
            var th = Math.Max(0, ((oh - 1) * sh) + ((kh - 1) * dh) + 1 - h);
            var tw = Math.Max(0, ((ow - 1) * sw) + ((kw - 1) * dw) + 1 - w);
            return autoPad == "SAME_UPPER" ? (th / 2, tw / 2, oh, ow) : (th - (th / 2), tw - (tw / 2), oh, ow);
        }

        var pads = autoPad == "VALID" ? [0, 0, 0, 0] : conv.GetInts("pads") ?? [0, 0, 0, 0];
        var outH = ((h + (int)pads[0] + (int)pads[2] - (((kh - 1) * dh) + 1)) / sh) + 1;
        var outW = ((w + (int)pads[1] + (int)pads[3] - (((kw - 1) * dw) + 1)) / sw) + 1;
        return ((int)pads[0], (int)pads[1], outH, outW);
    }

    private static void Accumulate(double[] h, double[] row, int cols)
    {
        // Only the upper triangle; Finish mirrors it.
        for (var a = 0; a < cols; a++)
        {
            var va = row[a];
            if (va == 0)
            {
                continue;
            }

            var offset = a * cols;
            for (var b = a; b < cols; b++)
            {
                h[offset + b] += va * row[b];
            }
        }
    }

    private static double[] Finish(double[] h, int cols, int n)
    {
        var scale = 1.0 / Math.Max(1, n);
        for (var a = 0; a < cols; a++)
        {
            for (var b = a; b < cols; b++)
            {
                h[(a * cols) + b] *= scale;
                h[(b * cols) + a] = h[(a * cols) + b];
            }
        }

        return h;
    }
}
