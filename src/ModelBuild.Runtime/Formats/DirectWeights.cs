using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime.Formats;

/// <summary>
/// A packed linear (int1..int4, per-channel or per-group, with or without zero points) or palettized (≤ 4-bit
/// indices) weight kept in its compact form for <see cref="DirectDense"/>: codes stay at their stored bit width, in
/// the <see cref="RowBlocks"/> layout, so every row starts on a block and a block unpacks into registers with a load,
/// a shift and a mask. An entry the compressor wrote row-blocked is read where the blob lies (process memory for its
/// codes is the blob's bytes); an older LSB-first stream is regrouped once into a pinned copy. Scales, zero points and
/// tables are small per-row or per-book arrays.
/// </summary>
internal sealed unsafe class DirectWeights : IDecodedRows
{
    private object _codeOwner = Array.Empty<byte>();
    private byte* _codes;

    private DirectWeights(int rows, int cols, int bits, bool palette)
    {
        Rows = rows;
        Cols = cols;
        Bits = bits;
        IsPalette = palette;
        Layout = new RowBlocks(bits, cols);
        (BlockCodes, BlockBytes, RowBytes) = (Layout.BlockCodes, Layout.BlockBytes, Layout.RowBytes);
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Bits per code (1..4).</summary>
    public int Bits { get; }

    /// <summary>True for a palette (value = table[code]); false for linear (value = (code − offset)·scale).</summary>
    public bool IsPalette { get; }

    /// <summary>The codes' layout (<see cref="RowBlocks"/>).</summary>
    public RowBlocks Layout { get; }

    public int BlockCodes { get; }

    public int BlockBytes { get; }

    /// <summary>Bytes per row in the codes (whole blocks).</summary>
    public int RowBytes { get; }

    /// <summary>
    /// The first byte of the codes: <see cref="Rows"/> × <see cref="RowBytes"/> in the <see cref="RowBlocks"/> layout
    /// and <see cref="RowBlocks.SpareBytes"/> zero bytes. They stay at this address while the weight is reachable:
    /// the blob's payload itself when the entry was written row-blocked, else a pinned regrouped copy.
    /// </summary>
    public ref byte CodeStart => ref Unsafe.AsRef<byte>(_codes);

    /// <summary>The codes as a span (<see cref="CodeStart"/>, <see cref="RowBlocks.Length"/> bytes).</summary>
    public ReadOnlySpan<byte> CodeBytes => new(_codes, checked((int)Layout.Length(Rows)));

    /// <summary>True when the codes are the blob's own bytes (a row-blocked entry), not a regrouped copy.</summary>
    public bool CodesInPlace => _codeOwner is not byte[];

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

    /// <summary>Book <paramref name="book"/>'s smallest step k (<see cref="StepBases"/> + 128): its biased steps less 128 are k − min k, 0–127.</summary>
    public int MinStep(int book) => (int)StepBases[book] + 128;

    /// <summary>Bytes this weight holds in memory (codes, scales, zero points, tables).</summary>
    public long ByteCount => Layout.Length(Rows) + (4L * Scales.Length) + ZeroPoints.Length + (4L * Tables.Length) + GridSteps.Length + (4L * GridScales.Length) + BiasedSteps.Length + (4L * StepBases.Length);

    /// <summary>
    /// The compact form of a format 4 or 5 entry when the direct kernels cover it (linear: 1–4 bits, not ternary,
    /// group a multiple of the block or one group per row; palette: 1–4 bits), else null (the caller decodes to
    /// float32). The entry is validated exactly as the decoder validates it. Row-blocked codes are used in place when
    /// <paramref name="inPlaceOwner"/> keeps <paramref name="data"/> at its address (the blob's payload), else copied.
    /// </summary>
    public static DirectWeights? TryCreate(byte code, ReadOnlySpan<byte> data, int rows, int cols, string where, object? inPlaceOwner = null)
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

            w.SetCodes(data[h.StreamOffset..], h.Blocked, inPlaceOwner);
            return w;
        }

        if (code == FormatCodes.Palettized)
        {
            DenseDecoders.PaletteHeader h = DenseDecoders.ParsePalette(data, rows, cols, count, where);
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

            w.SetCodes(data[h.StreamOffset..], h.Blocked, inPlaceOwner);
            w.FitGrid(h.Books, h.Size);
            return w;
        }

        return null;
    }

    /// <summary>The stored code at (<paramref name="r"/>, <paramref name="c"/>).</summary>
    public int Code(int r, int c) => Layout.Code(CodeBytes, r, c);

    /// <summary>The weight's value at (r, c), exactly as docs/FORMATS.md defines it (and as the float32 decoder gives it).</summary>
    public float Value(int r, int c) => ValueIn(CodeBytes, r, c);

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
        ReadOnlySpan<byte> codes = CodeBytes;
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++)
            {
                result[((long)r * Cols) + c] = ValueIn(codes, r, c);
            }
        }

        return result;
    }

    private float ValueIn(ReadOnlySpan<byte> codes, int r, int c)
    {
        int code = Layout.Code(codes, r, c);
        if (IsPalette)
        {
            return Tables[(r / RowsPerBook * TableStride) + code];
        }

        int g = (r * GroupsPerRow) + (c / Group);
        return (code - Offset(g)) * Scales[g];
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

    /// <summary>
    /// Points the codes at a row-blocked stream (in place when <paramref name="owner"/> keeps it there) or regroups an
    /// LSB-first stream (continuous across rows) into a pinned row-blocked copy.
    /// </summary>
    private void SetCodes(ReadOnlySpan<byte> stream, bool blocked, object? owner)
    {
        if (blocked && owner is not null)
        {
            _codeOwner = owner;
            _codes = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(stream));
            return;
        }

        byte[] copy = GC.AllocateArray<byte>(checked((int)Layout.Length(Rows)), pinned: true);
        _codeOwner = copy;
        _codes = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(copy));
        if (blocked)
        {
            stream.CopyTo(copy);
            return;
        }

        int mask = (1 << Bits) - 1;
        long bit = 0;
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++, bit += Bits)
            {
                long at = bit >> 3;
                int shift = (int)(bit & 7);
                int window = stream[(int)at] | (at + 1 < stream.Length ? stream[(int)at + 1] << 8 : 0);
                Layout.Put(copy, r, c, (window >> shift) & mask);
            }
        }
    }
}
