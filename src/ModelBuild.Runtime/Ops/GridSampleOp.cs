using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX GridSample on 4-D inputs (opsets 16–22 with 2 spatial axes): <c>Y[n, c, i, j]</c> samples <c>X[n, c]</c> at
/// the normalised point <c>grid[n, i, j] = (x, y)</c> ∈ [−1, 1]², with nearest, bilinear or bicubic (A = −0.75)
/// interpolation and zeros, border or reflection padding. Computed in float32 as ONNX Runtime does (the reference the
/// node tests are checked against): denormalise (<c>align_corners</c>: −1 → 0 and 1 → size − 1; otherwise −1 → −½ and
/// 1 → size − ½), pad the coordinate (border clamps, reflection folds it into the sampling range), round half to even
/// for nearest, then read each tap with the same padding rule.
/// </summary>
/// <param name="X">Input <c>[N, C, H, W]</c>.</param>
/// <param name="Grid">Sampling points <c>[N, OH, OW, 2]</c>.</param>
/// <param name="Y">Output <c>[N, C, OH, OW]</c>.</param>
/// <param name="Mode">Nearest, Linear (bilinear) or Cubic (bicubic).</param>
/// <param name="Padding">What samples outside the input read.</param>
/// <param name="AlignCorners">ONNX align_corners.</param>
public sealed record GridSampleOp(int X, int Grid, int Y, ResizeMode Mode, GridPadding Padding, bool AlignCorners) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var gs = c.Shape(Grid);
        if (xs.Length != 4 || gs.Length != 4 || gs[0] != xs[0] || gs[3] != 2)
        {
            throw Fail($"expects X [N, C, H, W] and grid [N, OH, OW, 2], got {ShapeMath.Format(xs)} and {ShapeMath.Format(gs)}.");
        }

        int n = xs[0], ch = xs[1], h = xs[2], w = xs[3], oh = gs[1], ow = gs[2];
        var y = c.OutputFloats(Y, [n, ch, oh, ow]);
        if (y.Length == 0)
        {
            return;
        }

        if (h == 0 || w == 0)
        {
            throw Fail($"cannot sample the empty input {ShapeMath.Format(xs)}.");
        }

        var sampler = new GridSampler(Mode, Padding, AlignCorners, h, w);
        var x = c.Floats(X);
        var grid = c.Floats(Grid);
        int points = oh * ow;
        for (int b = 0; b < n; b++)
        {
            for (int p = 0; p < points; p++)
            {
                float gx = grid[(((b * points) + p) * 2)], gy = grid[(((b * points) + p) * 2) + 1];
                for (int k = 0; k < ch; k++)
                {
                    y[(((b * ch) + k) * points) + p] = sampler.Sample(x.Slice(((b * ch) + k) * h * w, h * w), gx, gy);
                }
            }
        }
    }
}
