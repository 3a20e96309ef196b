using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Formats;

/// <summary>
/// An fp16 (format 6) or bf16 (format 7) weight kept as its 16-bit patterns for Dense: 2 bytes per weight in memory
/// (the blob's bytes) instead of the float32 decoding's 4. Dense widens a few rows at a time into a per-thread
/// scratch (<see cref="DirectDense.RunDecoded"/>, <see cref="DirectGemm"/>); the widening is exact.
/// </summary>
internal sealed class HalfWeights : IDecodedRows
{
    private HalfWeights(int rows, int cols, bool bf16, ushort[] bits)
    {
        Rows = rows;
        Cols = cols;
        IsBFloat16 = bf16;
        Bits = bits;
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>True for bf16 (the float's top 16 bits), false for IEEE binary16.</summary>
    public bool IsBFloat16 { get; }

    /// <summary>The rows·cols bit patterns, row-major.</summary>
    public ushort[] Bits { get; }

    public long ByteCount => 2L * Bits.Length;

    /// <summary>The 16-bit form of a format 6 or 7 entry, or null for other formats and on big-endian machines (decoded to float32 then).</summary>
    public static HalfWeights? TryCreate(byte code, ReadOnlySpan<byte> data, int rows, int cols, string where)
    {
        if (code is not (FormatCodes.Float16 or FormatCodes.BFloat16) || !BitConverter.IsLittleEndian || (long)rows * cols == 0)
        {
            return null;
        }

        long count = (long)rows * cols;
        FormatCodes.Expect(data.Length, 2 * count, where, FormatCodes.Name(code));
        return new HalfWeights(rows, cols, code == FormatCodes.BFloat16, MemoryMarshal.Cast<byte, ushort>(data).ToArray());
    }

    public void DecodeRow(SimdLevel level, int row, Span<float> dst)
    {
        ReadOnlySpan<ushort> src = Bits.AsSpan(row * Cols, Cols);
        if (!IsBFloat16)
        {
            Expand.HalfToSingle(src, dst, level);
            return;
        }

        // bf16: the pattern is the float's top half, so widen and shift (exact).
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            ref ushort s = ref MemoryMarshal.GetReference(src);
            ref float d = ref MemoryMarshal.GetReference(dst);
            for (; i <= src.Length - 8; i += 8)
            {
                Vector256<uint> wide = Vector256.WidenLower(Vector128.LoadUnsafe(ref s, (nuint)i).ToVector256Unsafe());
                Vector256.ShiftLeft(wide, 16).AsSingle().StoreUnsafe(ref d, (nuint)i);
            }
        }

        Expand.BFloat16ToSingle(src[i..], dst[i..]);
    }

    /// <summary>Every value, row-major, for kernels other than Dense.</summary>
    public float[] Dequantize()
    {
        var result = new float[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++)
        {
            DecodeRow(SimdLevel.Scalar, r, result.AsSpan(r * Cols, Cols));
        }

        return result;
    }
}
