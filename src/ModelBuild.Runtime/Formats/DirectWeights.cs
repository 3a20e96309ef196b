using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime.Formats;

/// <summary>
/// A packed linear (int1..int4, per-channel or per-group, with or without zero points) or palettized (≤ 4-bit
/// indices) weight kept in its compact form for <see cref="DirectDense"/>: codes stay at their stored bit width,
/// only regrouped so that every row starts on a block and a block unpacks into registers with a load, a shift and a
/// mask. Memory is the blob entry's bytes plus at most one partial block per row (and a palette padded to 8 entries).
/// </summary>
/// <remarks>
/// Block layouts (<see cref="BlockCodes"/> codes in <see cref="BlockBytes"/> bytes, rows padded to whole blocks with 0
/// codes that are never read): for 1, 2 and 4 bits, 8 bytes hold 64/b codes and byte <c>j</c> holds codes
/// <c>j + 8m</c> at bits <c>b·m</c>, so one zero-extending byte→int32 load gives 8 lanes for every <c>m</c>; for 3 bits,
/// 3 bytes hold 8 codes in stream order (code <c>i</c> at bits <c>3i</c>), unpacked by a per-lane variable shift.
/// </remarks>
internal sealed class DirectWeights : IDecodedRows
{
    private DirectWeights(int rows, int cols, int bits, bool palette)
    {
        Rows = rows;
        Cols = cols;
        Bits = bits;
        IsPalette = palette;
        BlockCodes = bits == 3 ? 8 : 64 / bits;
        BlockBytes = bits == 3 ? 3 : 8;
        RowBytes = (cols + BlockCodes - 1) / BlockCodes * BlockBytes;

        // 8 spare bytes: the 3-bit unpack reads 4 bytes for a 3-byte block, the 3-bit gathers 4 past a chunk of 8 or 16
        // blocks (DirectDense.Blocks8/Blocks16) and the split layouts read 8 at a time.
        Codes = new byte[((long)rows * RowBytes) + 8];
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Bits per code (1..4).</summary>
    public int Bits { get; }

    /// <summary>True for a palette (value = table[code]); false for linear (value = (code − offset)·scale).</summary>
    public bool IsPalette { get; }

    public int BlockCodes { get; }

    public int BlockBytes { get; }

    /// <summary>Bytes per row in <see cref="Codes"/> (whole blocks).</summary>
    public int RowBytes { get; }

    /// <summary>The regrouped codes, <see cref="Rows"/> × <see cref="RowBytes"/> and 8 spare bytes.</summary>
    public byte[] Codes { get; }

    /// <summary>Columns per scale group (linear); <see cref="Cols"/> for a palette (one "group" per row).</summary>
    public int Group { get; private set; }

    public int GroupsPerRow { get; private set; } = 1;

    /// <summary>Linear: one scale per (row, group), row-major. Empty for a palette.</summary>
    public float[] Scales { get; private set; } = [];

    /// <summary>Linear: the code bias 2^(b−1) (stored code u means q = u − bias).</summary>
    public int CodeBias { get; private set; }

    /// <summary>Linear with zero points: one per (row, group). Empty otherwise.</summary>
    public sbyte[] ZeroPoints { get; private set; } = [];

    /// <summary>
    /// Whether some group's offset (code bias + zero point) is 0, so code 0 is an exact zero weight. The byte-prefix
    /// kernel (<see cref="DirectDense"/>) then is not used: its cancellations would mix such a column's input into the
    /// sum at float32 precision, where the plain dot ignores it exactly.
    /// </summary>
    public bool HasZeroOffset { get; private set; }

    /// <summary>
    /// Palette: one table per codebook, <see cref="TableStride"/> floats each; a table of fewer than 8 entries repeats
    /// (entry i is entry i mod 2^b), so an 8-entry lookup may read bits of the next code above the code's own.
    /// </summary>
    public float[] Tables { get; private set; } = [];

    /// <summary>Floats per table in <see cref="Tables"/>: max(2^b, 8), so a 256-bit permute can always load 8.</summary>
    public int TableStride { get; private set; }

    public int RowsPerBook { get; private set; } = 1;

    /// <summary>
    /// 16-entry palettes whose every book is on an int8 grid (<see cref="PaletteGrid"/>): per book its 16 steps k
    /// (entry = k·s), read by one <c>vpshufb</c> per 32 codes in <see cref="GridPalette16Gemv"/>. Empty otherwise.
    /// </summary>
    public sbyte[] GridSteps { get; private set; } = [];

    /// <summary>Per book the grid scale s of <see cref="GridSteps"/>. Empty when they are.</summary>
    public float[] GridScales { get; private set; } = [];

    /// <summary>
    /// When every book's steps lie within 127 of each other: per book its 16 steps biased into [128, 255]
    /// (k − <see cref="StepBases"/>), as <see cref="BiasedGridPalette16Gemv"/> reads them. Empty otherwise.
    /// </summary>
    public byte[] BiasedSteps { get; private set; } = [];

    /// <summary>Per book the bias of <see cref="BiasedSteps"/>: k = biased step + base, base = min k − 128. Empty when they are.</summary>
    public float[] StepBases { get; private set; } = [];

    /// <summary>Bytes this weight holds in memory (codes, scales, zero points, tables).</summary>
    public long ByteCount => Codes.LongLength + (4L * Scales.Length) + ZeroPoints.Length + (4L * Tables.Length) + GridSteps.Length + (4L * GridScales.Length) + BiasedSteps.Length + (4L * StepBases.Length);

    /// <summary>
    /// The compact form of a format 4 or 5 entry when the direct kernels cover it (linear: 1–4 bits, not ternary,
    /// group a multiple of the block or one group per row; palette: 1–4 bits), else null (the caller decodes to
    /// float32). The entry is validated exactly as the decoder validates it.
    /// </summary>
    public static DirectWeights? TryCreate(byte code, ReadOnlySpan<byte> data, int rows, int cols, string where)
    {
        long count = (long)rows * cols;
        if (code == FormatCodes.PackedLinear)
        {
            DenseDecoders.LinearHeader h = DenseDecoders.ParseLinear(data, rows, cols, count, where);
            if (count == 0 || h.Ternary || h.Bits > 4)
            {
                return null;
            }

            var w = new DirectWeights(rows, cols, h.Bits, false);
            if (h.GroupsPerRow != 1 && h.Group % w.BlockCodes != 0)
            {
                return null;
            }

            w.Group = h.GroupsPerRow == 1 ? cols : h.Group;
            w.GroupsPerRow = h.GroupsPerRow;
            w.CodeBias = h.CodeBias;
            w.Scales = new float[h.Groups];
            for (int i = 0; i < w.Scales.Length; i++)
            {
                w.Scales[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(8 + (4 * i))..]);
            }

            if (h.HasZeroPoints)
            {
                w.ZeroPoints = new sbyte[h.Groups];
                for (int i = 0; i < w.ZeroPoints.Length; i++)
                {
                    w.ZeroPoints[i] = (sbyte)data[h.ZeroPointOffset + i];
                    w.HasZeroOffset |= h.CodeBias + w.ZeroPoints[i] == 0;
                }
            }

            w.Regroup(data[h.StreamOffset..]);
            return w;
        }

        if (code == FormatCodes.Palettized)
        {
            DenseDecoders.PaletteHeader h = DenseDecoders.ParsePalette(data, rows, count, where);
            if (count == 0 || h.Bits > 4)
            {
                return null;
            }

            var w = new DirectWeights(rows, cols, h.Bits, true) { Group = cols, RowsPerBook = h.RowsPerBook, TableStride = Math.Max(h.Size, 8) };
            w.Tables = new float[(long)h.Books * w.TableStride];
            for (int b = 0; b < h.Books; b++)
            {
                for (int i = 0; i < w.TableStride; i++)
                {
                    w.Tables[(b * w.TableStride) + i] = BinaryPrimitives.ReadSingleLittleEndian(data[(8 + (4 * ((b * h.Size) + (i % h.Size))))..]);
                }
            }

            w.Regroup(data[h.StreamOffset..]);
            w.FitGrid(h.Books, h.Size);
            return w;
        }

        return null;
    }

    /// <summary>The stored code at (<paramref name="r"/>, <paramref name="c"/>): the layout's definition.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Code(int r, int c)
    {
        int block = c / BlockCodes, within = c - (block * BlockCodes);
        long at = ((long)r * RowBytes) + ((long)block * BlockBytes);
        if (Bits == 3)
        {
            uint v = Codes[at] | ((uint)Codes[at + 1] << 8) | ((uint)Codes[at + 2] << 16);
            return (int)((v >> (3 * within)) & 7);
        }

        return (Codes[at + (within & 7)] >> (Bits * (within >> 3))) & ((1 << Bits) - 1);
    }

    /// <summary>The weight's value at (r, c), exactly as docs/FORMATS.md defines it (and as the float32 decoder gives it).</summary>
    public float Value(int r, int c)
    {
        if (IsPalette)
        {
            return Tables[(r / RowsPerBook * TableStride) + Code(r, c)];
        }

        int g = (r * GroupsPerRow) + (c / Group);
        return (Code(r, c) - Offset(g)) * Scales[g];
    }

    /// <summary>Linear: the code bias plus group <paramref name="g"/>'s zero point (a small exact integer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Offset(int g) => CodeBias + (ZeroPoints.Length == 0 ? 0 : ZeroPoints[g]);

    /// <inheritdoc/>
    public void DecodeRow(SimdLevel level, int row, Span<float> dst) =>
        DirectDense.DecodeRow(level == SimdLevel.Vector256 && System.Runtime.Intrinsics.X86.Avx2.IsSupported, this, row, dst);

    /// <summary>Every value, row-major (for kernels other than Dense and for <see cref="WeightBlob.Floats"/>).</summary>
    public float[] Dequantize()
    {
        var result = new float[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++)
            {
                result[((long)r * Cols) + c] = Value(r, c);
            }
        }

        return result;
    }

    /// <summary>Sets <see cref="GridSteps"/> when the palette has 16 entries and every book is on an int8 grid.</summary>
    private void FitGrid(int books, int size)
    {
        if (size != 16)
        {
            return;
        }

        var steps = new sbyte[books * 16];
        var scales = new float[books];
        for (int b = 0; b < books; b++)
        {
            if (!PaletteGrid.TryFit(Tables.AsSpan(b * TableStride, 16), steps.AsSpan(b * 16, 16), out scales[b]))
            {
                return;
            }
        }

        (GridSteps, GridScales) = (steps, scales);
        BiasSteps(books);
    }

    /// <summary>Sets <see cref="BiasedSteps"/> when every book's steps span at most 127 (the narrow grid's always do).</summary>
    private void BiasSteps(int books)
    {
        var biased = new byte[books * 16];
        var bases = new float[books];
        for (int b = 0; b < books; b++)
        {
            ReadOnlySpan<sbyte> steps = GridSteps.AsSpan(b * 16, 16);
            int min = int.MaxValue, max = int.MinValue;
            foreach (sbyte k in steps)
            {
                (min, max) = (Math.Min(min, k), Math.Max(max, k));
            }

            if (max - min > 127)
            {
                return;
            }

            bases[b] = min - 128;
            for (int e = 0; e < 16; e++)
            {
                biased[(b * 16) + e] = (byte)(steps[e] - min + 128);
            }
        }

        (BiasedSteps, StepBases) = (biased, bases);
    }

    /// <summary>Reads the LSB-first stream (continuous across rows) and writes each row into its blocks.</summary>
    private void Regroup(ReadOnlySpan<byte> stream)
    {
        int mask = (1 << Bits) - 1;
        long bit = 0;
        for (int r = 0; r < Rows; r++)
        {
            long rowStart = (long)r * RowBytes;
            for (int c = 0; c < Cols; c++, bit += Bits)
            {
                long at = bit >> 3;
                int shift = (int)(bit & 7);
                int window = stream[(int)at] | (at + 1 < stream.Length ? stream[(int)at + 1] << 8 : 0);
                int code = (window >> shift) & mask;
                int block = c / BlockCodes, within = c - (block * BlockCodes);
                long blockStart = rowStart + ((long)block * BlockBytes);
                if (Bits == 3)
                {
                    int pos = 3 * within;
                    int spread = code << (pos & 7);
                    Codes[blockStart + (pos >> 3)] |= (byte)spread;
                    if ((spread >> 8) != 0)
                    {
                        Codes[blockStart + (pos >> 3) + 1] |= (byte)(spread >> 8);
                    }
                }
                else
                {
                    Codes[blockStart + (within & 7)] |= (byte)(code << (Bits * (within >> 3)));
                }
            }
        }
    }
}
