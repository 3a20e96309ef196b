using System.Buffers.Binary;

namespace ModelBuild.Runtime.Formats;

/// <summary>
/// Decodes a compact blob entry (formats 4–9, docs/FORMATS.md) into its row-major float32 matrix, validating every
/// header field, length and index; corruption is an <see cref="InvalidDataException"/> naming the entry.
/// </summary>
internal static class CompactDecoder
{
    public static float[] Decode(byte code, ReadOnlySpan<byte> data, int rows, int cols, string where, SimdLevel level)
    {
        var dest = new float[(long)rows * cols];
        DecodeInto(code, data, rows, cols, dest, where, level);
        return dest;
    }

    private static void DecodeInto(byte code, ReadOnlySpan<byte> data, int rows, int cols, Span<float> dest, string where, SimdLevel level)
    {
        switch (code)
        {
            case FormatCodes.Sparse:
                Sparse(data, rows, cols, dest, where, level);
                break;
            case FormatCodes.Outliers:
                Outliers(data, rows, cols, dest, where, level);
                break;
            default:
                DenseDecoders.Decode(code, data, rows, cols, null, dest, where, level);
                break;
        }
    }

    private static void Sparse(ReadOnlySpan<byte> data, int rows, int cols, Span<float> dest, string where, SimdLevel level)
    {
        FormatCodes.AtLeast(data.Length, 12, where, "sparse");
        byte layout = data[0], inner = data[1], width = data[2];
        uint kept = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        uint indexLength = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        if (layout > 2 || inner is not (FormatCodes.Float32 or FormatCodes.PackedLinear or FormatCodes.Palettized or FormatCodes.Float16 or FormatCodes.BFloat16)
            || data[3] != 0 || (layout == 0 ? width != 0 : width is not (1 or 2 or 4)) || (layout == 2 && cols > 65536))
        {
            throw FormatCodes.Fail(where, $"sparse header has layout {layout}, inner format {inner}, count width {width} (see docs/FORMATS.md)");
        }

        if (kept > dest.Length || indexLength > data.Length - 12 || FormatCodes.Pad4((int)indexLength) > data.Length - 12)
        {
            throw FormatCodes.Fail(where, $"sparse header says {kept} kept values and a {indexLength}-byte index, which do not fit {dest.Length} values in {data.Length} bytes");
        }

        ReadOnlySpan<byte> index = data.Slice(12, (int)indexLength);
        int[] positions = layout == 0 ? SparseIndex.Bitmask(index, dest.Length, (int)kept, where) : SparseIndex.Csr(index, rows, cols, width, layout == 2, (int)kept, where);
        dest.Clear();
        DenseDecoders.Decode(inner, data[(12 + FormatCodes.Pad4((int)indexLength))..], rows, cols, positions, dest, where + " (sparse values)", level);
    }

    private static void Outliers(ReadOnlySpan<byte> data, int rows, int cols, Span<float> dest, string where, SimdLevel level)
    {
        FormatCodes.AtLeast(data.Length, 12, where, "outliers");
        byte baseCode = data[0];
        uint baseLength = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        if (baseCode is not (FormatCodes.Float32 or FormatCodes.PackedLinear or FormatCodes.Palettized or FormatCodes.Float16 or FormatCodes.BFloat16 or FormatCodes.Sparse)
            || data[1] != 0 || data[2] != 0 || data[3] != 0)
        {
            throw FormatCodes.Fail(where, $"outliers header has base format {baseCode} (must be 1, 4–8; reserved 0)");
        }

        long baseBytes = (baseLength + 3L) & ~3L;
        FormatCodes.Expect(data.Length, 12 + baseBytes + (6L * count), where, $"outliers with a {baseLength}-byte base and {count} outliers");
        if (count > dest.Length)
        {
            throw FormatCodes.Fail(where, $"{count} outliers in {dest.Length} values");
        }

        DecodeInto(baseCode, data.Slice(12, (int)baseLength), rows, cols, dest, where + " (outlier base)", level);
        ReadOnlySpan<byte> deltas = data[(int)(12 + baseBytes)..];
        ReadOnlySpan<byte> halves = deltas[(int)(4 * count)..];
        long index = 0;
        for (int j = 0; j < count; j++)
        {
            uint delta = BinaryPrimitives.ReadUInt32LittleEndian(deltas[(4 * j)..]);
            index += delta;
            if ((j > 0 && delta == 0) || index >= dest.Length)
            {
                throw FormatCodes.Fail(where, $"outlier {j} has index {index}; indices must increase and stay below {dest.Length}");
            }

            dest[(int)index] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(halves[(2 * j)..]));
        }
    }
}
