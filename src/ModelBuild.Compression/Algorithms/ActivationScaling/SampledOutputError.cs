using System.Numerics;

namespace ModelBuild.Compression.Algorithms.ActivationScaling;

/// <summary>
/// Squared output errors of a layer over sample input rows: Σₙ Σᵣ (Âᵣ·x̂ₙ − Bᵣ·xₙ)², the quantity AWQ's scale search
/// minimises (‖Q(W·diag(s))·diag(s)⁻¹·X − W·X‖², Lin et al. 2023, eq. 4) and SmoothQuant's W8A8 error.
/// </summary>
/// <remarks>Dot products in float32 SIMD lanes (inputs are float32 already), sums in float64.</remarks>
public static class SampledOutputError
{
    /// <summary>Σₙ Σᵣ (δᵣ·xₙ)² for a weight change δ (rows × cols) and <paramref name="count"/> rows x (count × cols).</summary>
    public static double OfChange(ReadOnlySpan<float> delta, int rows, int cols, ReadOnlySpan<float> x, int count)
    {
        double total = 0;
        for (var n = 0; n < count; n++)
        {
            var row = x.Slice(n * cols, cols);
            for (var r = 0; r < rows; r++)
            {
                double e = Dot(delta.Slice(r * cols, cols), row);
                total += e * e;
            }
        }

        return total;
    }

    /// <summary>
    /// Σₙ Σᵣ (aᵣ·x̂ₙ − bᵣ·xₙ)²: weights <paramref name="a"/> on inputs <paramref name="xa"/> against weights
    /// <paramref name="b"/> on inputs <paramref name="xb"/> (both count × cols); <paramref name="a"/> null gives Σ (bᵣ·xₙ)².
    /// </summary>
    public static double OfPair(ReadOnlySpan<float> a, ReadOnlySpan<float> xa, ReadOnlySpan<float> b, ReadOnlySpan<float> xb, int rows, int cols, int count)
    {
        double total = 0;
        for (var n = 0; n < count; n++)
        {
            for (var r = 0; r < rows; r++)
            {
                var e = (a.IsEmpty ? 0 : (double)Dot(a.Slice(r * cols, cols), xa.Slice(n * cols, cols))) - Dot(b.Slice(r * cols, cols), xb.Slice(n * cols, cols));
                total += e * e;
            }
        }

        return total;
    }

    private static float Dot(ReadOnlySpan<float> u, ReadOnlySpan<float> v)
    {
        var acc = Vector<float>.Zero;
        var i = 0;
        for (; i <= u.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            acc += new Vector<float>(u[i..]) * new Vector<float>(v[i..]);
        }

        var sum = Vector.Sum(acc);
        for (; i < u.Length; i++)
        {
            sum += u[i] * v[i];
        }

        return sum;
    }
}
