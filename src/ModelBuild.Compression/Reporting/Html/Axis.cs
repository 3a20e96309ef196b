namespace ModelBuild.Compression.Reporting.Html;

/// <summary>
/// Maps values in [Min, Max] to pixels in [PixelStart, PixelEnd] (PixelStart is where Min goes: the bottom of a
/// y axis), linearly or on a log10 scale.
/// </summary>
internal sealed record Axis(double Min, double Max, bool Log, double PixelStart, double PixelEnd)
{
    /// <summary>A log axis from the power of ten at or below the smallest positive value to the one at or above the largest.</summary>
    public static Axis LogCovering(double smallest, double largest, double pixelStart, double pixelEnd)
    {
        var lo = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(smallest, 1e-300))));
        var hi = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(largest, lo * 10))));
        return new Axis(lo, Math.Max(hi, lo * 10), true, pixelStart, pixelEnd);
    }

    /// <summary>A linear axis covering [min, max], widened to whole steps of a 1-2-5 series.</summary>
    public static Axis LinearCovering(double min, double max, double pixelStart, double pixelEnd)
    {
        if (max <= min)
        {
            (min, max) = (min - 1, max + 1);
        }

        var step = NiceStep((max - min) / 5);
        return new Axis(Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, false, pixelStart, pixelEnd);
    }

    public double Map(double value)
    {
        double t;
        if (Log)
        {
            t = (Math.Log10(Math.Max(value, Min)) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min));
        }
        else
        {
            t = (value - Min) / (Max - Min);
        }

        return PixelStart + (Math.Clamp(t, 0, 1) * (PixelEnd - PixelStart));
    }

    /// <summary>Tick values: powers of ten on a log axis, 1-2-5 steps on a linear one.</summary>
    public IReadOnlyList<double> Ticks()
    {
        var ticks = new List<double>();
        if (Log)
        {
            for (var e = (int)Math.Round(Math.Log10(Min)); e <= (int)Math.Round(Math.Log10(Max)); e++)
            {
                ticks.Add(Math.Pow(10, e));
            }

            return ticks;
        }

        var step = NiceStep((Max - Min) / 5);
        for (var i = 0; i <= 20; i++)
        {
            var v = Min + (i * step);
            if (v > Max + (step * 1e-9))
            {
                break;
            }

            ticks.Add(Math.Round(v / step) * step);
        }

        return ticks;
    }

    private static double NiceStep(double rough)
    {
        if (!(rough > 0) || !double.IsFinite(rough))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var f = rough / power;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
    }
}
