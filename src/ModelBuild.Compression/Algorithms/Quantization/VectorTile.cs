using System.Numerics;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// The register tile of the calibration kernels (float64: <see cref="GramAccumulator"/>, <see cref="SquareTimesTall"/>;
/// float32: <see cref="RowBlockProduct"/>):
/// 4 rows × 2 vectors of a product C (+)= A·B, with A(i, t) = <c>a[aStart + i·aStride + t]</c>,
/// B(t, j) = <c>b[bStart + t·bStride + j]</c> and C(i, j) = <c>c[cStart + i·cStride + j]</c>. Each element's terms are
/// added in t order with a separate multiply and add (no fused multiply-add), so the result has the same bits as the
/// scalar loop, at any vector width.
/// </summary>
internal static class VectorTile
{
    /// <summary>C's 4 × 2·<see cref="Vector{T}.Count"/> block over <paramref name="depth"/> terms; <paramref name="accumulate"/> adds to C's values instead of overwriting them.</summary>
    public static void FourByTwo<T>(T[] a, int aStart, int aStride, T[] b, int bStart, int bStride, int depth, T[] c, int cStart, int cStride, bool accumulate)
        where T : struct
    {
        var v = Vector<T>.Count;
        var (c0, c1, c2, c3) = (cStart, cStart + cStride, cStart + (2 * cStride), cStart + (3 * cStride));
        var (s00, s01) = accumulate ? (new Vector<T>(c, c0), new Vector<T>(c, c0 + v)) : (Vector<T>.Zero, Vector<T>.Zero);
        var (s10, s11) = accumulate ? (new Vector<T>(c, c1), new Vector<T>(c, c1 + v)) : (Vector<T>.Zero, Vector<T>.Zero);
        var (s20, s21) = accumulate ? (new Vector<T>(c, c2), new Vector<T>(c, c2 + v)) : (Vector<T>.Zero, Vector<T>.Zero);
        var (s30, s31) = accumulate ? (new Vector<T>(c, c3), new Vector<T>(c, c3 + v)) : (Vector<T>.Zero, Vector<T>.Zero);
        var (a0, a1, a2, a3) = (aStart, aStart + aStride, aStart + (2 * aStride), aStart + (3 * aStride));
        for (var t = 0; t < depth; t++)
        {
            var x0 = new Vector<T>(b, bStart + (t * bStride));
            var x1 = new Vector<T>(b, bStart + (t * bStride) + v);
            var y0 = new Vector<T>(a[a0 + t]);
            var y1 = new Vector<T>(a[a1 + t]);
            var y2 = new Vector<T>(a[a2 + t]);
            var y3 = new Vector<T>(a[a3 + t]);
            s00 += y0 * x0;
            s01 += y0 * x1;
            s10 += y1 * x0;
            s11 += y1 * x1;
            s20 += y2 * x0;
            s21 += y2 * x1;
            s30 += y3 * x0;
            s31 += y3 * x1;
        }

        s00.CopyTo(c, c0);
        s01.CopyTo(c, c0 + v);
        s10.CopyTo(c, c1);
        s11.CopyTo(c, c1 + v);
        s20.CopyTo(c, c2);
        s21.CopyTo(c, c2 + v);
        s30.CopyTo(c, c3);
        s31.CopyTo(c, c3 + v);
    }
}
