namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Fills <paramref name="twiddle"/> (2n doubles) with <c>cos(2πt/n), sin(2πt/n)</c> for <c>t &lt; n</c>: the
    /// table every bin of an n-point DFT reads, so each factor is computed once per call.
    /// </summary>
    internal static void DftTwiddles(Span<double> twiddle, int n)
    {
        for (var t = 0; t < n; t++)
        {
            var angle = 2 * Math.PI * t / n;
            twiddle[2 * t] = Math.Cos(angle);
            twiddle[(2 * t) + 1] = Math.Sin(angle);
        }
    }

    /// <summary>
    /// The first <paramref name="bins"/> bins of the n-point DFT of the interleaved complex <paramref name="line"/>
    /// (2n doubles): <c>X[k] = scale · Σ_j x[j]·e^{∓2πi·jk/n}</c> (− forward, + inverse), written interleaved to
    /// <paramref name="y"/> at stride <paramref name="stride"/> floats per bin. A direct O(n·bins) sum in float64 with
    /// the exact twiddle of <c>jk mod n</c>, which keeps the rounding far below float32's for any n (no power-of-two
    /// restriction).
    /// </summary>
    internal static void Dft(ReadOnlySpan<double> line, ReadOnlySpan<double> twiddle, int n, int bins, bool inverse, Span<float> y, int stride)
    {
        var sign = inverse ? 1.0 : -1.0;
        var scale = inverse ? 1.0 / n : 1.0;
        for (var k = 0; k < bins; k++)
        {
            double re = 0, im = 0;
            var t = 0;
            for (var j = 0; j < n; j++)
            {
                double xr = line[2 * j], xi = line[(2 * j) + 1];
                double c = twiddle[2 * t], s = sign * twiddle[(2 * t) + 1];
                re += (xr * c) - (xi * s);
                im += (xr * s) + (xi * c);
                t += k;
                if (t >= n)
                {
                    t %= n;
                }
            }

            y[k * stride] = (float)(re * scale);
            y[(k * stride) + 1] = (float)(im * scale);
        }
    }
}
