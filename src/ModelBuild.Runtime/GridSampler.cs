namespace ModelBuild.Runtime;

/// <summary>ONNX GridSample <c>padding_mode</c>: what a sample outside the input reads.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum GridPadding
{
    /// <summary>0.</summary>
    Zeros,

    /// <summary>The nearest edge sample.</summary>
    Border,

    /// <summary>The sample mirrored at the edges of the sampling range (repeatedly).</summary>
    Reflection,
}

/// <summary>One plane's GridSample interpolation (see <see cref="Ops.GridSampleOp"/> for the rules and their source).</summary>
internal readonly struct GridSampler
{
    private readonly ResizeMode _mode;
    private readonly GridPadding _padding;
    private readonly bool _alignCorners;
    private readonly int _h, _w;
    private readonly float _xMin, _xMax, _yMin, _yMax;

    public GridSampler(ResizeMode mode, GridPadding padding, bool alignCorners, int h, int w)
    {
        _mode = mode;
        _padding = padding;
        _alignCorners = alignCorners;
        _h = h;
        _w = w;
        (_xMin, _xMax) = alignCorners ? (0f, w - 1f) : (-0.5f, w - 0.5f);
        (_yMin, _yMax) = alignCorners ? (0f, h - 1f) : (-0.5f, h - 0.5f);
    }

    /// <summary>The value of <paramref name="plane"/> (H·W floats) at the normalised point (nx, ny).</summary>
    public float Sample(ReadOnlySpan<float> plane, float nx, float ny)
    {
        float x = Denormalize(nx, _w), y = Denormalize(ny, _h);
        if (_mode == ResizeMode.Nearest)
        {
            x = MathF.Round(x, MidpointRounding.ToEven);
            y = MathF.Round(y, MidpointRounding.ToEven);
        }

        if (x < _xMin || x > _xMax || y < _yMin || y > _yMax)
        {
            if (_padding == GridPadding.Border)
            {
                x = Math.Clamp(x, 0, _w - 1);
                y = Math.Clamp(y, 0, _h - 1);
            }
            else if (_padding == GridPadding.Reflection)
            {
                x = Reflect(x, _xMin, _xMax);
                y = Reflect(y, _yMin, _yMax);
            }
        }

        switch (_mode)
        {
            case ResizeMode.Nearest:
                return Pixel(plane, (int)y, (int)x);
            case ResizeMode.Linear:
                {
                    int x1 = (int)MathF.Floor(x), y1 = (int)MathF.Floor(y);
                    float dx1 = x - x1, dx2 = x1 + 1 - x, dy1 = y - y1, dy2 = y1 + 1 - y;
                    return (dy2 * ((dx2 * Pixel(plane, y1, x1)) + (dx1 * Pixel(plane, y1, x1 + 1))))
                        + (dy1 * ((dx2 * Pixel(plane, y1 + 1, x1)) + (dx1 * Pixel(plane, y1 + 1, x1 + 1))));
                }

            default:
                {
                    int x0 = (int)MathF.Floor(x) - 1, y0 = (int)MathF.Floor(y) - 1;
                    Span<float> cx = stackalloc float[4];
                    Span<float> cy = stackalloc float[4];
                    CubicCoefficients(x - x0 - 1, cx);
                    CubicCoefficients(y - y0 - 1, cy);
                    float result = 0;
                    for (int i = 0; i < 4; i++)
                    {
                        float row = 0;
                        for (int j = 0; j < 4; j++)
                        {
                            row += cx[j] * Pixel(plane, y0 + i, x0 + j);
                        }

                        result += cy[i] * row;
                    }

                    return result;
                }
        }
    }

    private float Denormalize(float n, int size) => _alignCorners ? (n + 1) / 2 * (size - 1) : (((n + 1) * size) - 1) / 2;

    /// <summary>The input at integer (r, c) under the padding rule (reflection folds the index into the sampling range).</summary>
    private float Pixel(ReadOnlySpan<float> plane, int r, int c)
    {
        switch (_padding)
        {
            case GridPadding.Zeros:
                return (uint)r < (uint)_h && (uint)c < (uint)_w ? plane[(r * _w) + c] : 0;
            case GridPadding.Border:
                return plane[(Math.Clamp(r, 0, _h - 1) * _w) + Math.Clamp(c, 0, _w - 1)];
            default:
                // Folding keeps the index within [−½, size − ½]; the truncation and clamp keep it inside the input.
                int rr = Math.Clamp((int)Reflect(r, _yMin, _yMax), 0, _h - 1), cc = Math.Clamp((int)Reflect(c, _xMin, _xMax), 0, _w - 1);
                return plane[(rr * _w) + cc];
        }
    }

    /// <summary>Mirrors <paramref name="v"/> at <paramref name="lo"/> and <paramref name="hi"/> until it lies between them.</summary>
    internal static float Reflect(float v, float lo, float hi)
    {
        float range = hi - lo;
        if (range <= 0)
        {
            return lo;
        }

        if (v < lo)
        {
            float d = lo - v;
            int n = (int)(d / range);
            float r = d - (n * range);
            return n % 2 == 0 ? lo + r : hi - r;
        }

        if (v > hi)
        {
            float d = v - hi;
            int n = (int)(d / range);
            float r = d - (n * range);
            return n % 2 == 0 ? hi - r : lo + r;
        }

        return v;
    }

    /// <summary>Keys' cubic weights (A = −0.75) of the taps at distances 1 + t, t, 1 − t, 2 − t.</summary>
    private static void CubicCoefficients(float t, Span<float> c)
    {
        const float a = -0.75f;
        t = MathF.Abs(t);
        c[0] = ((((a * (t + 1)) - (5 * a)) * (t + 1)) + (8 * a)) * (t + 1) - (4 * a);
        c[1] = ((((a + 2) * t) - (a + 3)) * t * t) + 1;
        c[2] = ((((a + 2) * (1 - t)) - (a + 3)) * (1 - t) * (1 - t)) + 1;
        c[3] = ((((a * (2 - t)) - (5 * a)) * (2 - t)) + (8 * a)) * (2 - t) - (4 * a);
    }
}
