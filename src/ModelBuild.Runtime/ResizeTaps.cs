namespace ModelBuild.Runtime;

/// <summary>How one Resize call samples: the ONNX attributes that shape every axis's taps.</summary>
/// <param name="Mode">Nearest, linear or cubic.</param>
/// <param name="Coordinates">The coordinate transformation.</param>
/// <param name="Nearest">The rounding of nearest mode.</param>
/// <param name="CubicA">Cubic's coefficient A (ONNX <c>cubic_coeff_a</c>, −0.75 by default).</param>
/// <param name="ExcludeOutside">Cubic taps outside the input get weight 0 and the rest are renormalised.</param>
internal readonly record struct ResizeSampling(ResizeMode Mode, ResizeCoordinates Coordinates, NearestRounding Nearest, float CubicA, bool ExcludeOutside)
{
    /// <summary>Input samples per output sample on one axis.</summary>
    public int Taps => Mode switch { ResizeMode.Nearest => 1, ResizeMode.Linear => 2, _ => 4 };
}

/// <summary>
/// The per-axis tables of a separable resize: for output index <c>j</c>, the input indices <c>idx[j·T + t]</c> and
/// weights <c>wt[j·T + t]</c> of its <c>T</c> taps, and whether its source coordinate lies outside the input
/// (tf_crop_and_resize extrapolation). Formulas: ONNX Resize spec (opset 19) and its reference implementation;
/// coordinates are computed in float64.
/// </summary>
internal static class ResizeTaps
{
    /// <summary>Fills the tables of one axis.</summary>
    /// <returns>true when the axis maps every output index to the same input index with weight 1 (nothing to do).</returns>
    public static bool Build(in ResizeSampling s, int inSize, int outSize, double scale, double roiStart, double roiEnd,
        Span<int> idx, Span<float> wt, Span<int> outside)
    {
        int taps = s.Taps;
        bool identity = inSize == outSize;
        for (int j = 0; j < outSize; j++)
        {
            double x = Original(s.Coordinates, j, inSize, outSize, scale, roiStart, roiEnd);
            bool isOutside = s.Coordinates == ResizeCoordinates.TfCropAndResize && (x < 0 || x > inSize - 1);
            outside[j] = isOutside ? 1 : 0;
            identity &= !isOutside && (s.Mode == ResizeMode.Nearest ? NearestIndex(s.Nearest, x, scale < 1, inSize) == j : x == j);
            Span<int> ti = idx.Slice(j * taps, taps);
            Span<float> tw = wt.Slice(j * taps, taps);
            switch (s.Mode)
            {
                case ResizeMode.Nearest:
                    ti[0] = NearestIndex(s.Nearest, x, scale < 1, inSize);
                    tw[0] = 1;
                    break;
                case ResizeMode.Linear:
                    Linear(x, inSize, ti, tw);
                    break;
                default:
                    Cubic(x, inSize, s.CubicA, s.ExcludeOutside, ti, tw);
                    break;
            }
        }

        return identity;
    }

    /// <summary>The input coordinate sampled by output index <paramref name="j"/>.</summary>
    internal static double Original(ResizeCoordinates mode, int j, int inSize, int outSize, double scale, double roiStart, double roiEnd) => mode switch
    {
        ResizeCoordinates.HalfPixel => ((j + 0.5) / scale) - 0.5,
        ResizeCoordinates.HalfPixelSymmetric => (inSize / 2.0 * (1 - (outSize / (scale * inSize)))) + ((j + 0.5) / scale) - 0.5,
        ResizeCoordinates.PytorchHalfPixel => outSize > 1 ? ((j + 0.5) / scale) - 0.5 : 0,
        ResizeCoordinates.AlignCorners => outSize == 1 ? 0 : j * (double)(inSize - 1) / (outSize - 1),
        ResizeCoordinates.Asymmetric => j / scale,
        ResizeCoordinates.TfHalfPixelForNn => (j + 0.5) / scale,
        _ => outSize > 1
            ? (roiStart * (inSize - 1)) + (j * (roiEnd - roiStart) * (inSize - 1) / (outSize - 1))
            : 0.5 * (roiStart + roiEnd) * (inSize - 1),
    };

    /// <summary>The nearest input index for coordinate <paramref name="x"/>, clamped to the input.</summary>
    internal static int NearestIndex(NearestRounding rounding, double x, bool shrinking, int inSize)
    {
        double floor = Math.Floor(x);
        double i = rounding switch
        {
            NearestRounding.RoundPreferFloor => x - floor == 0.5 ? floor : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.RoundPreferCeil => x - floor == 0.5 ? floor + 1 : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.Floor => floor,
            NearestRounding.Ceil => Math.Ceiling(x),
            _ => shrinking ? Math.Ceiling(x) : Math.Truncate(x),
        };
        return (int)Math.Clamp(i, 0, inSize - 1);
    }

    // Clamping the coordinate first equals the reference's edge padding for the two taps.
    private static void Linear(double x, int inSize, Span<int> ti, Span<float> tw)
    {
        x = Math.Clamp(x, 0, inSize - 1);
        int x0 = (int)Math.Floor(x);
        double r = x - x0;
        ti[0] = x0;
        ti[1] = Math.Min(x0 + 1, inSize - 1);
        tw[0] = (float)(1 - r);
        tw[1] = (float)r;
    }

    // Keys' cubic convolution kernel on taps ⌊x⌋−1 … ⌊x⌋+2; indices past an edge repeat the edge sample (the
    // reference pads with the edge value) unless exclude_outside drops them.
    private static void Cubic(double x, int inSize, float a, bool excludeOutside, Span<int> ti, Span<float> tw)
    {
        int x0 = (int)Math.Floor(x);
        double r = x - x0;
        Span<double> w = [CubicWeight(1 + r, a), CubicWeight(r, a), CubicWeight(1 - r, a), CubicWeight(2 - r, a)];
        double sum = 0;
        for (int t = 0; t < 4; t++)
        {
            int i = x0 - 1 + t;
            if (excludeOutside && (i < 0 || i >= inSize))
            {
                w[t] = 0;
            }

            sum += w[t];
            ti[t] = Math.Clamp(i, 0, inSize - 1);
        }

        for (int t = 0; t < 4; t++)
        {
            tw[t] = (float)(excludeOutside ? w[t] / sum : w[t]);
        }
    }

    /// <summary>Keys' kernel W(d) for distance d ≥ 0: (A+2)d³ − (A+3)d² + 1 below 1, A d³ − 5A d² + 8A d − 4A below 2.</summary>
    internal static double CubicWeight(double d, double a) =>
        d <= 1 ? (((a + 2) * d) - (a + 3)) * d * d + 1
        : d < 2 ? ((((a * d) - (5 * a)) * d) + (8 * a)) * d - (4 * a)
        : 0;
}
