using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>fp16 and bf16 storage (round to nearest even in both).</summary>
public static class HalfPrecision
{
    /// <summary>The matrix as <see cref="HalfFloat"/>.</summary>
    public static HalfFloat Convert(float[] w, int rows, int cols, bool bfloat16) =>
        new(rows, cols, w.Select(v => bfloat16 ? ToBFloat16(v) : BitConverter.HalfToUInt16Bits((Half)v)).ToArray(), bfloat16);

    /// <summary>The top 16 bits of the float32, rounded to nearest even (NaN stays a quiet NaN).</summary>
    public static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
