using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime.Formats;

/// <summary>
/// The row-blocked code layout (docs/FORMATS.md, "Row-blocked codes"): how <see cref="DirectDense"/>'s kernels read
/// 1–4-bit codes, so a blob written in it is used in place, without a regrouped copy.
/// </summary>
/// <remarks>
/// Every row starts on a block and is padded to whole blocks with 0 codes. For 1, 2 and 4 bits a block is 8 bytes
/// holding 64/b codes, byte <c>j</c> holding the block's codes <c>j + 8m</c> at bits <c>b·m</c> (one zero-extending
/// byte→int32 load then gives 8 lanes for each <c>m</c>); for 3 bits a block is 3 bytes holding 8 codes LSB-first
/// (code <c>i</c> at bits <c>3i</c>). <see cref="SpareBytes"/> zero bytes follow the last row: the kernels read up to
/// 8 bytes past a block.
/// </remarks>
internal readonly record struct RowBlocks
{
    /// <summary>Zero bytes after the last row.</summary>
    public const int SpareBytes = 8;

    /// <param name="bits">Bits per code, 1..4.</param>
    /// <param name="cols">Codes per row.</param>
    public RowBlocks(int bits, int cols)
    {
        // Computed once: kernels read RowBytes per weight row, and 64 / bits is a division.
        Bits = bits;
        Cols = cols;
        BlockCodes = bits == 3 ? 8 : 64 / bits;
        BlockBytes = bits == 3 ? 3 : 8;
        // In long: cols + BlockCodes − 1 overflows int for a hostile cols near int.MaxValue; the result itself fits.
        RowBytes = (int)((cols + (long)BlockCodes - 1) / BlockCodes * BlockBytes);
    }

    /// <summary>Bits per code, 1..4.</summary>
    public int Bits { get; }

    /// <summary>Codes per row.</summary>
    public int Cols { get; }

    /// <summary>Codes per block: 8 for 3 bits, 64/b otherwise.</summary>
    public int BlockCodes { get; }

    /// <summary>Bytes per block: 3 for 3 bits, 8 otherwise.</summary>
    public int BlockBytes { get; }

    /// <summary>Bytes per row (whole blocks).</summary>
    public int RowBytes { get; }

    /// <summary>True for the widths the layout defines (1..4 bits).</summary>
    public static bool Supports(int bits) => bits is >= 1 and <= 4;

    /// <summary>Bytes of <paramref name="rows"/> rows and the spare bytes.</summary>
    public long Length(long rows) => (rows * RowBytes) + SpareBytes;

    /// <summary>The code at (<paramref name="r"/>, <paramref name="c"/>); <paramref name="c"/> may lie in the row's padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Code(ReadOnlySpan<byte> codes, long r, int c)
    {
        int block = c / BlockCodes, within = c - (block * BlockCodes);
        long at = (r * RowBytes) + ((long)block * BlockBytes);
        if (Bits == 3)
        {
            uint v = codes[(int)at] | ((uint)codes[(int)at + 1] << 8) | ((uint)codes[(int)at + 2] << 16);
            return (int)((v >> (3 * within)) & 7);
        }

        return (codes[(int)(at + (within & 7))] >> (Bits * (within >> 3))) & ((1 << Bits) - 1);
    }

    /// <summary>Writes <paramref name="code"/> (below 2^<see cref="Bits"/>) at (<paramref name="r"/>, <paramref name="c"/>) into zeroed codes.</summary>
    public void Put(Span<byte> codes, long r, int c, int code)
    {
        int block = c / BlockCodes, within = c - (block * BlockCodes);
        long at = (r * RowBytes) + ((long)block * BlockBytes);
        if (Bits == 3)
        {
            int pos = 3 * within, spread = code << (pos & 7);
            codes[(int)(at + (pos >> 3))] |= (byte)spread;
            if ((spread >> 8) != 0)
            {
                codes[(int)(at + (pos >> 3) + 1)] |= (byte)(spread >> 8);
            }

            return;
        }

        codes[(int)(at + (within & 7))] |= (byte)(code << (Bits * (within >> 3)));
    }

    /// <summary>
    /// Checks that a row-blocked stream of <paramref name="rows"/> rows has 0 in every padding code and spare byte,
    /// so every matrix has one spelling (as <see cref="FormatCodes.CheckPadding"/> does for the packed stream).
    /// </summary>
    /// <exception cref="InvalidDataException">A padding code or spare byte is not 0.</exception>
    public void CheckPadding(ReadOnlySpan<byte> codes, int rows, string where)
    {
        int padded = RowBytes / BlockBytes * BlockCodes;
        for (int r = 0; r < rows; r++)
        {
            for (int c = Cols; c < padded; c++)
            {
                if (Code(codes, r, c) != 0)
                {
                    throw FormatCodes.Fail(where, $"row {r}'s padding code at column {c} of the row-blocked codes is not 0");
                }
            }
        }

        if (codes[^SpareBytes..].IndexOfAnyExcept((byte)0) >= 0)
        {
            throw FormatCodes.Fail(where, $"the {SpareBytes} bytes after the row-blocked codes are not 0");
        }
    }
}
