using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Passes.Quantization;

/// <summary>Multiplies each row of a stored matrix by a factor without touching its codes (the block refit's scales).</summary>
internal static class RowRescale
{
    /// <summary>True when <see cref="Apply"/> can rescale <paramref name="stored"/>'s rows.</summary>
    public static bool Supports(StoredMatrix stored) => stored switch
    {
        LinearQuantized or DenseFloat or HalfFloat => true,
        Palettized p => p.RowsPerCodebook == 1,
        SparseMatrix s => Supports(s.Inner),
        WithOutliers o => Supports(o.Base),
        _ => false,
    };

    /// <summary>
    /// <paramref name="stored"/> with row r's values times <paramref name="factors"/>[r]: every scale of the row for
    /// linear codes (float32, as stored), the values for floats, the codebook for one-row palettes.
    /// </summary>
    public static StoredMatrix Apply(StoredMatrix stored, double[] factors) => stored switch
    {
        LinearQuantized q => q with { Scales = q.Scales.Select((s, i) => (float)(s * factors[i / q.GroupsPerRow])).ToArray() },
        DenseFloat d => d with { Values = d.Values.Select((v, i) => (float)(v * factors[i / d.Cols])).ToArray() },
        HalfFloat h => h with { Bits = h.Bits.Select((b, i) => Scale16(b, factors[i / h.Cols], h.IsBFloat16)).ToArray() },
        Palettized p when p.RowsPerCodebook == 1 => p with { Codebooks = p.Codebooks.Select((v, i) => (float)(v * factors[i >> p.Bits])).ToArray() },
        SparseMatrix s => s with { Inner = Apply(s.Inner, factors) },
        WithOutliers o => o with
        {
            Base = Apply(o.Base, factors),
            HalfValues = o.HalfValues.Select((b, i) => Scale16(b, factors[o.Indices[i] / o.Cols], false)).ToArray(),
        },
        _ => throw new NotSupportedException($"{stored.Describe()} rows cannot be rescaled."),
    };

    private static ushort Scale16(ushort bits, double factor, bool bfloat16)
    {
        if (bfloat16)
        {
            return Algorithms.Quantization.HalfPrecision.ToBFloat16((float)(BitConverter.Int32BitsToSingle(bits << 16) * factor));
        }

        return BitConverter.HalfToUInt16Bits((Half)((float)BitConverter.UInt16BitsToHalf(bits) * factor));
    }
}
