using System.Buffers.Binary;

namespace ModelBuild.Runtime.Formats;

/// <summary>
/// Decodes the value stream of formats 1, 4, 5, 6 and 7 (docs/FORMATS.md). With <c>kept</c> the stream holds only
/// those positions (the inner payload of a sparse entry) and the decoded values are scattered to them.
/// </summary>
internal static class DenseDecoders
{
    public static void Decode(byte code, ReadOnlySpan<byte> data, int rows, int cols, int[]? kept, Span<float> dest, string where, SimdLevel level)
    {
        int count = kept?.Length ?? dest.Length;
        switch (code)
        {
            case FormatCodes.Float32:
            case FormatCodes.Float16:
            case FormatCodes.BFloat16:
                int size = code == FormatCodes.Float32 ? 4 : 2;
                FormatCodes.Expect(data.Length, (long)size * count, where, FormatCodes.Name(code));
                float[] values = kept is null ? [] : new float[count];
                Span<float> target = kept is null ? dest : values;
                for (int i = 0; code == FormatCodes.Float32 && i < count; i++)
                {
                    target[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                }

                if (code != FormatCodes.Float32)
                {
                    ushort[] halves = new ushort[count];
                    for (int i = 0; i < count; i++)
                    {
                        halves[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]);
                    }

                    if (code == FormatCodes.Float16)
                    {
                        Expand.HalfToSingle(halves, target, level);
                    }
                    else
                    {
                        Expand.BFloat16ToSingle(halves, target);
                    }
                }

                for (int j = 0; kept is not null && j < count; j++)
                {
                    dest[kept[j]] = values[j];
                }

                return;
            case FormatCodes.PackedLinear:
                Linear(data, rows, cols, kept, dest, where, level);
                return;
            case FormatCodes.Palettized:
                Palette(data, rows, cols, kept, dest, where, level);
                return;
            default:
                throw FormatCodes.Fail(where, $"format code {code} cannot hold dense values here");
        }
    }

    /// <summary>The validated header and layout of a packed linear entry.</summary>
    internal readonly record struct LinearHeader(int Bits, bool HasZeroPoints, bool Ternary, int Group, int GroupsPerRow, long Groups, long ZeroPointBytes, bool Blocked)
    {
        /// <summary>Byte offset of the code stream.</summary>
        public int StreamOffset => (int)(8 + (4 * Groups) + ZeroPointBytes);

        /// <summary>Byte offset of the zero points (valid when <see cref="HasZeroPoints"/>).</summary>
        public int ZeroPointOffset => (int)(8 + (4 * Groups));

        /// <summary>The code bias: stored code u means q = u − bias.</summary>
        public int CodeBias => Ternary ? 1 : 1 << (Bits - 1);
    }

    /// <summary>
    /// Checks a packed linear entry's header, lengths and stream padding (docs/FORMATS.md §4). <c>whole</c> is false for a
    /// sparse entry's kept values, which cannot be row-blocked.
    /// </summary>
    internal static LinearHeader ParseLinear(ReadOnlySpan<byte> data, int rows, int cols, long count, string where, bool whole = true)
    {
        FormatCodes.AtLeast(data.Length, 8, where, "packed linear");
        int bits = data[0], flags = data[1];
        bool hasZp = (flags & 1) != 0, ternary = (flags & 2) != 0, blocked = (flags & RowBlockedFlag) != 0;
        if (bits is < 1 or > 8 || (flags & ~7) != 0 || data[2] != 0 || data[3] != 0 || (ternary && bits != 2))
        {
            throw FormatCodes.Fail(where, $"packed linear header has bits {bits}, flags 0x{flags:x2} (bits must be 1..8, 2 for ternary; flags 0..7; reserved 0)");
        }

        CheckBlocked(blocked, bits, ternary, whole, where);

        uint group = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (group < 1 || group > Math.Max(cols, 1))
        {
            throw FormatCodes.Fail(where, $"group size {group} is outside 1..{Math.Max(cols, 1)}");
        }

        int perRow = cols == 0 ? 0 : (int)((cols + group - 1) / group);
        long groups = (long)rows * perRow;
        long zpBytes = hasZp ? (groups + 3) & ~3L : 0;
        long stream = blocked ? new RowBlocks(bits, cols).Length(rows) : ternary ? (count + 4) / 5 : ((count * bits) + 7) / 8;
        FormatCodes.Expect(data.Length, 8 + (4 * groups) + zpBytes + stream, where, ternary ? "packed ternary" : $"packed int{bits}{(blocked ? " (row-blocked)" : "")}");
        var header = new LinearHeader(bits, hasZp, ternary, (int)group, perRow, groups, zpBytes, blocked);
        ReadOnlySpan<byte> packed = data[header.StreamOffset..];
        if (blocked)
        {
            new RowBlocks(bits, cols).CheckPadding(packed, rows, where);
        }
        else if (ternary)
        {
            FormatCodes.CheckTernary(packed, count, where);
        }
        else
        {
            FormatCodes.CheckPadding(packed, count * bits, where);
        }

        return header;
    }

    private static void Linear(ReadOnlySpan<byte> data, int rows, int cols, int[]? kept, Span<float> dest, string where, SimdLevel level)
    {
        long count = kept?.Length ?? dest.Length;
        LinearHeader h = ParseLinear(data, rows, cols, count, where, kept is null);
        int bits = h.Bits, g = h.Group, perRow = h.GroupsPerRow;
        bool hasZp = h.HasZeroPoints, ternary = h.Ternary;
        long groups = h.Groups;

        ReadOnlySpan<byte> packed = data[h.StreamOffset..];
        var codes = new byte[count];
        if (h.Blocked)
        {
            Unblock(packed, bits, rows, cols, codes);
        }
        else if (ternary)
        {
            Unpack.Ternary(packed, codes);
        }
        else
        {
            Unpack.Bits(packed, bits, codes, level);
        }

        // Stored code u means q = u − bias; value = (q − zp)·scale = (u − (bias + zp))·scale.
        int bias = h.CodeBias;
        var offsets = new float[groups];
        var scales = new float[groups];
        for (int k = 0; k < groups; k++)
        {
            offsets[k] = bias + (hasZp ? (sbyte)data[(int)(8 + (4 * groups)) + k] : 0);
            scales[k] = BinaryPrimitives.ReadSingleLittleEndian(data[(8 + (4 * k))..]);
        }

        if (kept is null)
        {
            for (int r = 0, k = 0; r < rows; r++)
            {
                for (int c0 = 0; c0 < cols; c0 += g, k++)
                {
                    int start = (r * cols) + c0, length = Math.Min(g, cols - c0);
                    Expand.Dequantize(codes.AsSpan(start, length), offsets[k], scales[k], dest.Slice(start, length), level);
                }
            }

            return;
        }

        for (int j = 0; j < kept.Length; j++)
        {
            int p = kept[j], k = (p / cols * perRow) + (p % cols / g);
            dest[p] = (codes[j] - offsets[k]) * scales[k];
        }
    }

    /// <summary>The validated header of a palettized entry: index bits, rows per codebook, codebook count.</summary>
    internal readonly record struct PaletteHeader(int Bits, int RowsPerBook, int Books, bool Blocked)
    {
        /// <summary>Entries per codebook (2^bits).</summary>
        public int Size => 1 << Bits;

        /// <summary>Byte offset of the index stream.</summary>
        public int StreamOffset => 8 + (4 * Books * Size);
    }

    /// <summary>Checks a palettized entry's header, length and stream padding (docs/FORMATS.md §5); <c>whole</c> as for <see cref="ParseLinear"/>.</summary>
    internal static PaletteHeader ParsePalette(ReadOnlySpan<byte> data, int rows, int cols, long count, string where, bool whole = true)
    {
        FormatCodes.AtLeast(data.Length, 8, where, "palettized");
        int bits = data[0], flags = data[1];
        bool blocked = flags == RowBlockedFlag;
        uint perBook = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (bits is < 1 or > 8 || (flags != 0 && !blocked) || data[2] != 0 || data[3] != 0 || perBook < 1)
        {
            throw FormatCodes.Fail(where, $"palettized header has bits {bits}, flags 0x{flags:x2}, rows per codebook {perBook} (bits must be 1..8, flags 0 or 4, rows per codebook ≥ 1, reserved 0)");
        }

        CheckBlocked(blocked, bits, false, whole, where);
        int size = 1 << bits;
        long books = rows == 0 ? 0 : (rows + perBook - 1) / perBook;
        long stream = blocked ? new RowBlocks(bits, cols).Length(rows) : ((count * bits) + 7) / 8;
        FormatCodes.Expect(data.Length, 8 + (4 * books * size) + stream, where, $"palettized {bits}-bit{(blocked ? " (row-blocked)" : "")}");
        var header = new PaletteHeader(bits, (int)Math.Min(perBook, int.MaxValue), (int)books, blocked);
        if (blocked)
        {
            new RowBlocks(bits, cols).CheckPadding(data[header.StreamOffset..], rows, where);
        }
        else
        {
            FormatCodes.CheckPadding(data[header.StreamOffset..], count * bits, where);
        }

        return header;
    }

    private static void Palette(ReadOnlySpan<byte> data, int rows, int cols, int[]? kept, Span<float> dest, string where, SimdLevel level)
    {
        long count = kept?.Length ?? dest.Length;
        PaletteHeader h = ParsePalette(data, rows, cols, count, where, kept is null);
        int bits = h.Bits, size = h.Size;
        long perBook = h.RowsPerBook, books = h.Books;
        var table = new float[books * size];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(8 + (4 * i))..]);
        }

        ReadOnlySpan<byte> packed = data[h.StreamOffset..];
        var indices = new byte[count];
        if (h.Blocked)
        {
            Unblock(packed, bits, rows, cols, indices);
        }
        else
        {
            Unpack.Bits(packed, bits, indices, level);
        }
        if (kept is null)
        {
            for (long b = 0; b < books; b++)
            {
                int start = (int)(b * perBook * cols), length = (int)(Math.Min(perBook, rows - (b * perBook)) * cols);
                Expand.Lookup(indices.AsSpan(start, length), table.AsSpan((int)b * size, size), dest.Slice(start, length), level);
            }

            return;
        }

        for (int j = 0; j < kept.Length; j++)
        {
            dest[kept[j]] = table[(int)(kept[j] / cols / perBook * size) + indices[j]];
        }
    }

    /// <summary>Flag bit 2 of formats 4 and 5: the codes are row-blocked (<see cref="RowBlocks"/>), not one LSB-first stream.</summary>
    internal const int RowBlockedFlag = 4;

    /// <summary>Row-blocked codes need 1–4-bit, non-ternary codes of a whole matrix (never a sparse entry's kept values).</summary>
    private static void CheckBlocked(bool blocked, int bits, bool ternary, bool whole, string where)
    {
        if (blocked && (!RowBlocks.Supports(bits) || ternary || !whole))
        {
            throw FormatCodes.Fail(where, !whole
                ? "row-blocked codes cannot hold a sparse entry's kept values"
                : $"row-blocked codes need 1..4-bit codes, not {(ternary ? "ternary" : $"{bits}-bit")}");
        }
    }

    /// <summary>Row-major codes of a row-blocked stream.</summary>
    private static void Unblock(ReadOnlySpan<byte> blocked, int bits, int rows, int cols, Span<byte> codes)
    {
        var layout = new RowBlocks(bits, cols);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                codes[(r * cols) + c] = (byte)layout.Code(blocked, r, c);
            }
        }
    }
}
