using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Mean and (biased) variance of <paramref name="n"/> contiguous floats, in two passes: the mean first, then
    /// <c>Σ (x − mean)² / n</c>, which does not cancel the way <c>E[x²] − E[x]²</c> does when |mean| ≫ σ.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static (float Mean, float Variance) RowMoments(SimdLevel level, ref float x, int n)
    {
        return RowMomentsBody(level, ref x, n);
    }

    // RowMoments's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Mean, float Variance) RowMomentsBody(SimdLevel level, ref float x, int n)
    {
        float mean = Elementwise.Sum(level, ref x, n) / n;
        int i = 0;
        float sum = 0;
        if (level == SimdLevel.Vector256)
        {
            Vector256<float> vm = Vector256.Create(mean), acc = default;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> d = Vector256.LoadUnsafe(ref x, (nuint)i) - vm;
                acc = Simd.MulAdd(d, d, acc);
            }

            sum = Vector256.Sum(acc);
        }

        if (level != SimdLevel.Scalar)
        {
            Vector128<float> vm = Vector128.Create(mean), acc = default;
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Vector128<float> d = Vector128.LoadUnsafe(ref x, (nuint)i) - vm;
                acc = Simd.MulAdd(d, d, acc);
            }

            sum += Vector128.Sum(acc);
        }

        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref x, i) - mean;
            sum += d * d;
        }

        return (mean, sum / n);
    }

    /// <summary><c>y[i] = (x[i] − mean) · s + t</c>: one normalised run with one scale and shift (instance and group norms).</summary>
    internal static void ShiftScale(SimdLevel level, ref float x, float mean, float s, float t, ref float y, int n)
    {
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            Vector256<float> vm = Vector256.Create(mean), vs = Vector256.Create(s), vt = Vector256.Create(t);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Simd.MulAdd(Vector256.LoadUnsafe(ref x, (nuint)i) - vm, vs, vt).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (level != SimdLevel.Scalar)
        {
            Vector128<float> vm = Vector128.Create(mean), vs = Vector128.Create(s), vt = Vector128.Create(t);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Simd.MulAdd(Vector128.LoadUnsafe(ref x, (nuint)i) - vm, vs, vt).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) = ((Unsafe.Add(ref x, i) - mean) * s) + t;
        }
    }

    /// <summary><c>y[i] = (x[i] − mean) · inv · γ[i] + β[i]</c>: one layer-normalised row.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void NormalizeRow(SimdLevel level, ref float x, float mean, float inv, ref float gamma, ref float beta, ref float y, int n)
    {
        NormalizeRowBody(level, ref x, mean, inv, ref gamma, ref beta, ref y, n);
    }

    // NormalizeRow's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NormalizeRowBody(SimdLevel level, ref float x, float mean, float inv, ref float gamma, ref float beta, ref float y, int n)
    {
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            Vector256<float> vm = Vector256.Create(mean), vi = Vector256.Create(inv);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> z = (Vector256.LoadUnsafe(ref x, (nuint)i) - vm) * vi;
                Simd.MulAdd(z, Vector256.LoadUnsafe(ref gamma, (nuint)i), Vector256.LoadUnsafe(ref beta, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (level != SimdLevel.Scalar)
        {
            Vector128<float> vm = Vector128.Create(mean), vi = Vector128.Create(inv);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Vector128<float> z = (Vector128.LoadUnsafe(ref x, (nuint)i) - vm) * vi;
                Simd.MulAdd(z, Vector128.LoadUnsafe(ref gamma, (nuint)i), Vector128.LoadUnsafe(ref beta, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) = ((Unsafe.Add(ref x, i) - mean) * inv * Unsafe.Add(ref gamma, i)) + Unsafe.Add(ref beta, i);
        }
    }

    /// <summary>
    /// Layer normalisation of <paramref name="rows"/> contiguous rows of <paramref name="d"/> floats (ONNX
    /// LayerNormalization, opset 17): <c>y = (x − mean) / √(var + ε) · γ + β</c> per row.
    /// </summary>
    /// <param name="level">Vector width.</param>
    /// <param name="x">Input, rows·d floats.</param>
    /// <param name="gamma">γ, <paramref name="d"/> floats.</param>
    /// <param name="beta">β, <paramref name="d"/> floats.</param>
    /// <param name="y">Output, rows·d floats (not aliasing <paramref name="x"/>'s other rows).</param>
    /// <param name="mean">Per-row means (rows floats), or empty when not wanted.</param>
    /// <param name="invStdDev">Per-row <c>1/√(var + ε)</c>, or empty when not wanted.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="d">Values per row.</param>
    /// <param name="epsilon">ε added to the variance.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void LayerNorm(SimdLevel level, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> mean, Span<float> invStdDev, int rows, int d, float epsilon)
    {
        LayerNormBody(level, x, gamma, beta, y, mean, invStdDev, rows, d, epsilon);
    }

    // LayerNorm's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LayerNormBody(SimdLevel level, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> mean, Span<float> invStdDev, int rows, int d, float epsilon)
    {
        ref float g = ref MemoryMarshal.GetReference(gamma);
        ref float b = ref MemoryMarshal.GetReference(beta);
        for (int r = 0; r < rows; r++)
        {
            ref float xr = ref MemoryMarshal.GetReference(x.Slice(r * d, d));
            var (m, variance) = RowMoments(level, ref xr, d);
            float inv = 1f / MathF.Sqrt(variance + epsilon);
            NormalizeRow(level, ref xr, m, inv, ref g, ref b, ref MemoryMarshal.GetReference(y.Slice(r * d, d)), d);
            if (!mean.IsEmpty)
            {
                mean[r] = m;
            }

            if (!invStdDev.IsEmpty)
            {
                invStdDev[r] = inv;
            }
        }
    }
}
