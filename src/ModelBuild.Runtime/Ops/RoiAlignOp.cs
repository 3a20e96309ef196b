using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX RoiAlign: for each region <c>rois[r] = (x1, y1, x2, y2)</c> of image <c>batch_indices[r]</c>, an
/// <c>[C, OH, OW]</c> grid of bins, each the average (or max) of bilinear samples on a regular sub-grid of the bin.
/// Computed in float32 with ONNX Runtime's rules (the reference the node tests are checked against): coordinates
/// are scaled by spatial_scale and shifted by −½ for half_pixel; output_half_pixel (opset 10) instead keeps them and
/// makes regions at least 1×1; the sub-grid is sampling_ratio² samples, or ⌈bin size⌉ per axis when it is 0; samples
/// beyond one pixel outside the image count as 0; max mode takes the largest weighted corner of each sample.
/// </summary>
/// <param name="X">Input <c>[N, C, H, W]</c>.</param>
/// <param name="Rois">Regions <c>[R, 4]</c>.</param>
/// <param name="BatchIndices">Int64 image of each region, <c>[R]</c>.</param>
/// <param name="Y">Output <c>[R, C, OH, OW]</c>.</param>
/// <param name="IsMax">mode = max (else avg).</param>
/// <param name="HalfPixel">coordinate_transformation_mode = half_pixel (else output_half_pixel).</param>
/// <param name="OutputHeight">output_height.</param>
/// <param name="OutputWidth">output_width.</param>
/// <param name="SamplingRatio">sampling_ratio (0 = adaptive).</param>
/// <param name="SpatialScale">spatial_scale.</param>
public sealed record RoiAlignOp(int X, int Rois, int BatchIndices, int Y, bool IsMax, bool HalfPixel, int OutputHeight, int OutputWidth,
    int SamplingRatio, float SpatialScale) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var rs = c.Shape(Rois);
        var bs = c.Shape(BatchIndices);
        if (xs.Length != 4 || rs.Length != 2 || rs[1] != 4 || bs.Length != 1 || bs[0] != rs[0])
        {
            throw Fail($"expects X [N, C, H, W], rois [R, 4] and batch_indices [R], got {ShapeMath.Format(xs)}, {ShapeMath.Format(rs)} and {ShapeMath.Format(bs)}.");
        }

        if (OutputHeight < 1 || OutputWidth < 1 || SamplingRatio < 0)
        {
            throw Fail("output_height and output_width must be ≥ 1 and sampling_ratio ≥ 0.");
        }

        int ch = xs[1], h = xs[2], w = xs[3], regions = rs[0], bins = OutputHeight * OutputWidth;
        var y = c.OutputFloats(Y, [regions, ch, OutputHeight, OutputWidth]);
        var x = c.Floats(X);
        var rois = c.Floats(Rois);
        var batch = c.Longs(BatchIndices);
        float offset = HalfPixel ? 0.5f : 0;
        for (int r = 0; r < regions; r++)
        {
            if ((ulong)batch[r] >= (ulong)xs[0])
            {
                throw Fail($"batch_indices[{r}] = {batch[r]} is not an image of the batch of {xs[0]}.");
            }

            float x0 = (rois[r * 4] * SpatialScale) - offset, y0 = (rois[(r * 4) + 1] * SpatialScale) - offset;
            float width = (rois[(r * 4) + 2] * SpatialScale) - offset - x0, height = (rois[(r * 4) + 3] * SpatialScale) - offset - y0;
            if (!HalfPixel)
            {
                width = MathF.Max(width, 1);
                height = MathF.Max(height, 1);
            }

            float binH = height / OutputHeight, binW = width / OutputWidth;
            int gridH = SamplingRatio > 0 ? SamplingRatio : (int)MathF.Ceiling(height / OutputHeight);
            int gridW = SamplingRatio > 0 ? SamplingRatio : (int)MathF.Ceiling(width / OutputWidth);
            int count = Math.Max(gridH * gridW, 1);
            for (int k = 0; k < ch; k++)
            {
                var plane = x.Slice((int)(((batch[r] * ch) + k) * h * w), h * w);
                var outPlane = y.Slice(((r * ch) + k) * bins, bins);
                for (int ph = 0; ph < OutputHeight; ph++)
                {
                    for (int pw = 0; pw < OutputWidth; pw++)
                    {
                        float acc = 0;
                        bool any = false;
                        for (int iy = 0; iy < gridH; iy++)
                        {
                            float sy = y0 + (ph * binH) + ((iy + 0.5f) * binH / gridH);
                            for (int ix = 0; ix < gridW; ix++)
                            {
                                float sx = x0 + (pw * binW) + ((ix + 0.5f) * binW / gridW);
                                float v = Sample(plane, h, w, sy, sx, IsMax);
                                acc = !IsMax ? acc + v : any ? MathF.Max(acc, v) : v;
                                any = true;
                            }
                        }

                        outPlane[(ph * OutputWidth) + pw] = IsMax ? acc : acc / count;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The bilinear sample at (y, x), with coordinates in [−1, 0] clamped to 0 and the last row/column repeated;
    /// 0 further out. Max mode returns the largest of the four weighted corners (ONNX Runtime's definition).
    /// </summary>
    private static float Sample(ReadOnlySpan<float> plane, int h, int w, float y, float x, bool max)
    {
        if (y < -1 || y > h || x < -1 || x > w)
        {
            return 0;
        }

        y = MathF.Max(y, 0);
        x = MathF.Max(x, 0);
        int yl = (int)y, xl = (int)x, yh, xh;
        if (yl >= h - 1)
        {
            yh = yl = h - 1;
            y = yl;
        }
        else
        {
            yh = yl + 1;
        }

        if (xl >= w - 1)
        {
            xh = xl = w - 1;
            x = xl;
        }
        else
        {
            xh = xl + 1;
        }

        float ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
        float v1 = hy * hx * plane[(yl * w) + xl], v2 = hy * lx * plane[(yl * w) + xh];
        float v3 = ly * hx * plane[(yh * w) + xl], v4 = ly * lx * plane[(yh * w) + xh];
        return max ? MathF.Max(MathF.Max(v1, v2), MathF.Max(v3, v4)) : v1 + v2 + v3 + v4;
    }
}
