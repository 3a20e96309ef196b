namespace ModelBuild.Runtime;

/// <summary>
/// A decoded weight matrix (a blob entry seen as <c>rows × cols</c>), immutable and shared read-only by all
/// threads.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public sealed unsafe class WeightMatrix
{
    private readonly float[] _floats;
    private readonly sbyte[] _int8;
    private readonly float[] _scales;
    private readonly int[] _zeroPoints;

    // A view into the blob's payload instead of the arrays above (float32 and int8 entries are used where they lie):
    // set when _payload is not null, which also keeps the bytes at their address.
    private readonly BlobPayload? _payload;
    private readonly nint _floatsAt, _int8At, _scalesAt;

    // Conv weights stored with their rows in blocks of 4 (blob format 11): the packed order PackedConv returns in
    // place, and a row-major copy made only if another consumer asks for Floats (see ConvBlocks).
    private readonly nint _blocksAt;
    private float[]? _unblocked;

    // Conv weights decoded to floats and packed for ConvGemm's tiles, made on first use (see PackedConv).
    private PackedConvWeights? _packedConv;

    // Conv weights packed for ChannelVectorConv ([16-channel block][k][16]), made on first use.
    private float[]? _channelConv;

    // Pointwise conv weights as int16 pairs for FixedPointConv, made on first use.
    private int[]? _fixedPointConv;

    // 3×3 conv weights transformed for WinogradConv (G g Gᵀ, 36 floats per 9 weights), made on first use.
    private PackedWinogradWeights? _winograd;

    // Σ_k q[j,k] per row for the int8-activation kernels' zero-point correction, made on first use (see Int8RowSums).
    private Int8Sums? _int8Sums;

    // A compact weight read directly by Dense (null for the other formats), and its float32 matrix, made only if a
    // kernel other than Dense asks for the entry (see WeightBlob.Matrix).
    private readonly Formats.DirectWeights? _direct;
    private WeightMatrix? _decoded;

    // A sparse weight kept as CSR, or an fp16/bf16 weight kept in 16 bits, for Dense (null otherwise); other kernels
    // get _decoded as for _direct.
    private readonly Formats.SparseWeights? _sparse;
    private readonly Formats.HalfWeights? _half;

    internal WeightMatrix(int rows, int cols, WeightFormat format, float[] floats, sbyte[] int8, float[] scales, int[] zeroPoints)
    {
        Rows = rows;
        Cols = cols;
        Format = format;
        _floats = floats;
        _int8 = int8;
        _scales = scales;
        _zeroPoints = zeroPoints;
    }

    /// <summary>A float32 or int8 matrix read in place from the blob's payload (no copy).</summary>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    /// <param name="format">Float32, Int8 or Int8Asymmetric.</param>
    /// <param name="payload">Holds the bytes; kept reachable by this matrix.</param>
    /// <param name="floatsAt">Address of rows·cols float32 values (Float32), else 0.</param>
    /// <param name="int8At">Address of rows·cols int8 codes (int8 formats), else 0.</param>
    /// <param name="scalesAt">Address of rows float32 scales (int8 formats), else 0.</param>
    /// <param name="zeroPoints">One zero point per row (Int8Asymmetric), else empty.</param>
    internal WeightMatrix(int rows, int cols, WeightFormat format, BlobPayload payload, nint floatsAt, nint int8At, nint scalesAt, int[] zeroPoints)
        : this(rows, cols, format, [], [], [], zeroPoints)
    {
        _payload = payload;
        _floatsAt = floatsAt;
        _int8At = int8At;
        _scalesAt = scalesAt;
    }

    private WeightMatrix(int rows, int cols, BlobPayload payload, nint blocksAt)
        : this(rows, cols, WeightFormat.Float32, payload, 0, 0, 0, [])
    {
        _blocksAt = blocksAt;
    }

    /// <summary>
    /// A float32 conv weight stored with its rows interleaved in blocks of 4 (blob format 11, <c>rows % 4 == 0</c>):
    /// <see cref="PackedConv"/> returns those bytes where they lie for any rows per group that is a multiple of 4,
    /// so a first prediction neither copies the layer nor touches fresh pages for it (ppocr_rec: 7 MB of pointwise
    /// conv weights, ≈ 11 ms of its first prediction on the development VM). <see cref="Floats"/> (other kernels,
    /// <see cref="Dequantize"/>) is a row-major copy made on first request.
    /// </summary>
    /// <param name="rows">Rows (output channels), a multiple of 4.</param>
    /// <param name="cols">Columns (input channels per group × kernel size).</param>
    /// <param name="payload">Holds the bytes; kept reachable by this matrix.</param>
    /// <param name="blocksAt">Address of the rows·cols floats in block order.</param>
    internal static WeightMatrix ConvBlocks(int rows, int cols, BlobPayload payload, nint blocksAt) => new(rows, cols, payload, blocksAt);

    /// <summary>
    /// Rows <paramref name="rows"/> × <paramref name="cols"/> from blob format 11's order (value (r, k) at
    /// <c>(r / 4)·4·cols + 4·k + r % 4</c>) into row-major <paramref name="rowMajor"/>.
    /// </summary>
    internal static void UnblockRows(ReadOnlySpan<float> blocked, int rows, int cols, Span<float> rowMajor)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> block = blocked.Slice(r / 4 * 4 * cols, 4 * cols);
            Span<float> row = rowMajor.Slice(r * cols, cols);
            for (int k = 0; k < cols; k++)
            {
                row[k] = block[(4 * k) + (r % 4)];
            }
        }
    }

    /// <summary>A compact weight kept in its stored bits; <see cref="Format"/> is <see cref="WeightFormat.Float32"/> but
    /// <see cref="Floats"/> is empty: only <see cref="Kernels.Dense(ReadOnlySpan{float}, WeightMatrix, ReadOnlySpan{float}, Span{float}, int, Activation)"/>
    /// reads it (through <see cref="Direct"/>); every other consumer gets <see cref="Decoded"/>.</summary>
    internal WeightMatrix(Formats.DirectWeights direct)
        : this(direct.Rows, direct.Cols, WeightFormat.Float32, [], [], [], [])
    {
        _direct = direct;
    }

    /// <summary>A sparse weight kept as CSR (nonzeros only); like the constructor above, only Dense reads it.</summary>
    internal WeightMatrix(Formats.SparseWeights sparse)
        : this(sparse.Rows, sparse.Cols, WeightFormat.Float32, [], [], [], [])
    {
        _sparse = sparse;
    }

    /// <summary>An fp16/bf16 weight kept in 16 bits; like the constructors above, only Dense reads it.</summary>
    internal WeightMatrix(Formats.HalfWeights half)
        : this(half.Rows, half.Cols, WeightFormat.Float32, [], [], [], [])
    {
        _half = half;
    }

    /// <summary>The compact form Dense reads directly, or null.</summary>
    internal Formats.DirectWeights? Direct => _direct;

    /// <summary>The 16-bit form Dense reads directly, or null.</summary>
    internal Formats.HalfWeights? Half => _half;

    /// <summary>A compact form that decodes row by row for the batched Dense path (<see cref="DirectGemm"/>), or null.</summary>
    internal Formats.IDecodedRows? DecodedRows => (Formats.IDecodedRows?)_direct ?? _half;

    /// <summary>The CSR form Dense reads directly, or null.</summary>
    internal Formats.SparseWeights? Sparse => _sparse;

    /// <summary>True once a float32 copy of a direct weight was made (for the memory tests).</summary>
    internal bool HasDecodedCopy => Volatile.Read(ref _decoded) is not null;

    /// <summary>
    /// This matrix for kernels that need float32 or int8 storage: itself, or for a direct weight its values decoded
    /// once (on first request) and cached.
    /// </summary>
    internal WeightMatrix Decoded()
    {
        if (_direct is null && _sparse is null && _half is null)
        {
            return this;
        }

        WeightMatrix? cached = Volatile.Read(ref _decoded);
        if (cached is null)
        {
            // Two threads may both decode; the first to publish wins so all callers share one copy.
            var made = new WeightMatrix(Rows, Cols, WeightFormat.Float32, Dequantize(), [], [], []);
            cached = Interlocked.CompareExchange(ref _decoded, made, null) ?? made;
        }

        return cached;
    }

    /// <summary>Number of rows (<c>dims[0]</c>, 1 for a scalar).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (product of the other dims, 1 for rank ≤ 1).</summary>
    public int Cols { get; }

    /// <summary>The storage format.</summary>
    public WeightFormat Format { get; }

    /// <summary>The values, row-major <c>rows·cols</c>; <see cref="WeightFormat.Float32"/> only (empty otherwise).</summary>
    public ReadOnlySpan<float> Floats => _blocksAt != 0 ? Unblocked() : _payload is null ? _floats : new ReadOnlySpan<float>((void*)_floatsAt, _floatsAt == 0 ? 0 : Rows * Cols);

    // A conv-blocks weight in row-major order, made once on first request (two threads may both make it; one is kept).
    private float[] Unblocked()
    {
        float[]? cached = Volatile.Read(ref _unblocked);
        if (cached is null)
        {
            cached = UnblockedCopy();
            cached = Interlocked.CompareExchange(ref _unblocked, cached, null) ?? cached;
        }

        return cached;
    }

    // A new row-major array of a conv-blocks weight.
    private float[] UnblockedCopy()
    {
        var rowMajor = new float[Rows * Cols];
        UnblockRows(new ReadOnlySpan<float>((void*)_blocksAt, Rows * Cols), Rows, Cols, rowMajor);
        return rowMajor;
    }

    /// <summary>True once a conv-blocks weight made its row-major copy (for the tests: the conv paths read the blocks in place).</summary>
    internal bool HasUnblockedCopy => Volatile.Read(ref _unblocked) is not null;

    /// <summary>The quantised values, row-major <c>rows·cols</c>; int8 formats only (empty otherwise).</summary>
    public ReadOnlySpan<sbyte> Int8 => _payload is null ? _int8 : new ReadOnlySpan<sbyte>((void*)_int8At, _int8At == 0 ? 0 : Rows * Cols);

    /// <summary>One scale per row; int8 formats only (empty otherwise).</summary>
    public ReadOnlySpan<float> Scales => _payload is null ? _scales : new ReadOnlySpan<float>((void*)_scalesAt, _scalesAt == 0 ? 0 : Rows);

    /// <summary>One zero point per row; <see cref="WeightFormat.Int8Asymmetric"/> only (empty otherwise).</summary>
    public ReadOnlySpan<int> ZeroPoints => _zeroPoints;

    /// <summary>The format's definition as code: decodes every value into a new row-major array.</summary>
    /// <returns>A new array of <c>rows·cols</c> floats.</returns>
    public float[] Dequantize()
    {
        if (_direct is not null)
        {
            return _direct.Dequantize();
        }

        if (_sparse is not null)
        {
            return _sparse.Dequantize();
        }

        if (_half is not null)
        {
            return _half.Dequantize();
        }

        if (_blocksAt != 0)
        {
            // A new row-major array each call, as for the other formats; the cached copy is left for Floats' readers.
            if (Volatile.Read(ref _unblocked) is { } made)
            {
                return (float[])made.Clone();
            }

            return UnblockedCopy();
        }

        if (Format == WeightFormat.Float32)
        {
            return Floats.ToArray();
        }

        var result = new float[Rows * Cols];
        for (int r = 0; r < Rows; r++)
        {
            DecodeInt8Row(r, result.AsSpan(r * Cols, Cols));
        }

        return result;
    }

    /// <summary>
    /// The rows as float32, one at a time, with <see cref="Dequantize"/>'s values: the packers (conv panels, Winograd
    /// transforms) read the weights once, and a whole dequantised copy was a temporary array of 4 bytes per weight whose
    /// fresh pages, garbage afterwards, a first prediction paid for. Float32 rows are views; int8 rows are decoded into
    /// <paramref name="buffer"/> (<see cref="Cols"/> floats); sparse weights are dequantised whole once.
    /// </summary>
    internal RowReader ReadRows(Span<float> buffer) => new(this, _sparse is null ? null : Dequantize(), buffer);

    /// <summary>Row by row access to a matrix's values (<see cref="ReadRows"/>).</summary>
    internal readonly ref struct RowReader
    {
        private readonly WeightMatrix _w;
        private readonly float[]? _all;
        private readonly Span<float> _buffer;

        public RowReader(WeightMatrix w, float[]? all, Span<float> buffer)
        {
            _w = w;
            _all = all;
            _buffer = buffer;
        }

        /// <summary>Row <paramref name="row"/>'s <see cref="Cols"/> values (valid until the next call).</summary>
        public ReadOnlySpan<float> this[int row] => _w.Row(row, _all, _buffer);
    }

    private ReadOnlySpan<float> Row(int row, float[]? all, Span<float> buffer)
    {
        if (all is not null)
        {
            return all.AsSpan(row * Cols, Cols);
        }

        Span<float> dst = buffer[..Cols];
        if (DecodedRows is { } rows)
        {
            rows.DecodeRow(Simd.Best, row, dst);
            return dst;
        }

        if (Format == WeightFormat.Float32)
        {
            return Floats.Slice(row * Cols, Cols);
        }

        DecodeInt8Row(row, dst);
        return dst;
    }

    /// <summary>Row <paramref name="row"/> of an int8 matrix as <c>(q − zp)·scale</c> into <paramref name="dst"/> (<see cref="Cols"/> floats).</summary>
    private void DecodeInt8Row(int row, Span<float> dst)
    {
        ReadOnlySpan<sbyte> q = Int8.Slice(row * Cols, Cols);
        float scale = Scales[row];
        int zp = Format == WeightFormat.Int8Asymmetric ? _zeroPoints[row] : 0;
        for (int c = 0; c < q.Length; c++)
        {
            dst[c] = (q[c] - zp) * scale;
        }
    }

    /// <summary>
    /// The values as a float32 array for <see cref="WeightBlob.Floats"/>: the storage itself when it is an array
    /// (no copy), else a new array (a view into the payload or a quantised format).
    /// </summary>
    internal float[] ToFloatArray() => Format == WeightFormat.Float32 && _payload is null && _direct is null && _sparse is null && _half is null ? _floats : Dequantize();

    /// <summary>
    /// The weights dequantised and packed in <see cref="ConvGemm"/>'s tile order for groups of
    /// <paramref name="rowsPerGroup"/> rows, made once per process and then shared by all threads. This trades
    /// memory for speed: 4 bytes per weight instead of 1 for int8 (conv weights are small: 72 KB for a
    /// 64×32×3×3 layer), and it saves a sign-extend, a convert and a scale on every one of the
    /// OH·OW·batch uses of each conv weight. Dense weights are large and read once per call, so they stay int8.
    /// </summary>
    /// <remarks>The block comes from <see cref="PackedWeightArena"/> (huge pages for large models); shared, do not write.</remarks>
    internal ReadOnlySpan<float> PackedConv(int rowsPerGroup)
    {
        if (_blocksAt != 0 && rowsPerGroup % ConvGemm.Mr == 0 && Rows % rowsPerGroup == 0 && _blocksAt % sizeof(float) == 0)
        {
            // Stored in this order (format 11): with whole blocks of 4 rows per group the groups' blocks are consecutive.
            // Only at a float-aligned address: a blob's payload starts wherever its header and table end in the
            // resource (BlazeFace's at 61 mod 64), and unaligned floats would cost every tile a split load now and then.
            return new ReadOnlySpan<float>((void*)_blocksAt, Rows * Cols);
        }

        PackedConvWeights? cached = Volatile.Read(ref _packedConv);
        if (cached is null || cached.RowsPerGroup != rowsPerGroup)
        {
            // Two threads may both pack on first use; either complete result is correct, one of them is kept.
            ArraySegment<float> block = PackedWeightArena.Allocate(checked((int)ConvGemm.PackedLength(this, rowsPerGroup)));
            ConvGemm.PackInto(this, rowsPerGroup, block);
            cached = new PackedConvWeights(rowsPerGroup, block);
            Volatile.Write(ref _packedConv, cached);
        }

        return cached.Data;
    }

    /// <summary>
    /// The conv weights dequantised and packed for <see cref="ChannelVectorConv"/> (<see cref="ChannelVectorConv.Pack"/>),
    /// made once per process and shared by all threads: 4 bytes per weight (those convs are small: 12.8 KB for mnist-8's 8 → 16 5×5).
    /// </summary>
    internal float[] PackedChannelConv()
    {
        // As for PackedConv: a race packs twice, and either complete result is kept.
        float[]? cached = Volatile.Read(ref _channelConv);
        if (cached is null)
        {
            cached = ChannelVectorConv.Pack(this);
            Volatile.Write(ref _channelConv, cached);
        }

        return cached;
    }

    /// <summary>
    /// Int8 pointwise conv weights as int16 pairs for <see cref="FixedPointConv"/> (<see cref="FixedPointConv.Pairs"/>),
    /// made once per process and shared by all threads: 2 bytes per weight, where the float tiles' packed copy takes 4.
    /// </summary>
    internal int[] FixedPointConvPairs()
    {
        // As for PackedConv: a race packs twice, and either complete result is kept.
        int[]? cached = Volatile.Read(ref _fixedPointConv);
        if (cached is null)
        {
            cached = FixedPointConv.Pairs(this);
            Volatile.Write(ref _fixedPointConv, cached);
        }

        return cached;
    }

    /// <summary>
    /// The 3×3 conv weights transformed for <see cref="WinogradConv"/> (<see cref="WinogradConv.Pack"/>), made once per
    /// process and shared by all threads: 16 bytes per weight (36 floats per 3×3 kernel), 288 KB for a 64×32×3×3 layer.
    /// </summary>
    /// <remarks>The block comes from <see cref="PackedWeightArena"/> (huge pages for large models); shared, do not write.</remarks>
    internal Span<float> PackedWinograd()
    {
        // As for PackedConv: a race transforms twice, and either complete result is kept.
        PackedWinogradWeights? cached = Volatile.Read(ref _winograd);
        if (cached is null)
        {
            cached = new PackedWinogradWeights(WinogradConv.Pack(this));
            Volatile.Write(ref _winograd, cached);
        }

        return cached.Data;
    }

    private sealed record PackedWinogradWeights(ArraySegment<float> Data);

    /// <summary>
    /// The 3×3 conv weights transformed for <see cref="BlockedWinograd"/> with output tile <paramref name="m"/> (2 or 4) in
    /// panels of <paramref name="panel"/> output channels (<see cref="BlockedWinograd.Pack{TF}"/>), made once per process
    /// and shared by all threads: 16 (F(4×4)) or 7.1 (F(2×2)) bytes per weight. A process uses one width, so one cached
    /// copy is kept (a different request replaces it).
    /// </summary>
    /// <remarks>The block comes from <see cref="PackedWeightArena"/> (huge pages for large models); shared, do not write.</remarks>
    internal Span<float> PackedBlockedWinograd(int m, int panel)
    {
        // As for PackedConv: a race transforms twice, and either complete result is kept.
        PackedBlockedWinogradWeights? cached = Volatile.Read(ref _blockedWinograd);
        if (cached is null || cached.M != m || cached.Panel != panel)
        {
            cached = new PackedBlockedWinogradWeights(m, panel, m == 2 ? BlockedWinograd.Pack<WinogradF2>(this, panel) : BlockedWinograd.Pack<WinogradF4>(this, panel));
            Volatile.Write(ref _blockedWinograd, cached);
        }

        return cached.Data;
    }

    private PackedBlockedWinogradWeights? _blockedWinograd;

    private sealed record PackedBlockedWinogradWeights(int M, int Panel, ArraySegment<float> Data);

    /// <summary>
    /// The weights dequantised into <see cref="DenseGemm"/>'s panels of <paramref name="panelWidth"/> output channels,
    /// made on the first batched Dense call (≥ <see cref="DenseGemm.MinRows"/> rows) and then shared by all threads.
    /// Costs 4 bytes per weight on top of the stored copy (7.4 MB for a 784-1024-1024-10 MLP whose int8 copy is
    /// 1.9 MB); batch-1 use never creates it.
    /// </summary>
    /// <remarks>The block comes from <see cref="PackedWeightArena"/> (huge pages for large models); shared, do not write.</remarks>
    internal Span<float> PackedDense(int panelWidth) => PackedDenseWeightsOf(panelWidth).Data;

    /// <summary>
    /// Whether every weight of <see cref="PackedDense"/> is finite (a float layer kept with NaN or ±Inf by
    /// "nonFinite": "keep" is not), checked once when the panels are made.
    /// </summary>
    internal bool PackedDenseFinite(int panelWidth) => PackedDenseWeightsOf(panelWidth).Finite;

    private PackedDenseWeights PackedDenseWeightsOf(int panelWidth)
    {
        PackedDenseWeights? cached = Volatile.Read(ref _packedDense);
        if (cached is null || cached.PanelWidth != panelWidth)
        {
            // As for PackedConv: a race packs twice, and either complete result is kept.
            ArraySegment<float> block = PackedWeightArena.Allocate(checked((int)DenseGemm.PackedLength(this, panelWidth)));
            DenseGemm.PackInto(this, panelWidth, block);
            cached = new PackedDenseWeights(panelWidth, block, AllFinite(block));
            Volatile.Write(ref _packedDense, cached);
        }

        return cached;
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    private PackedDenseWeights? _packedDense;

    /// <summary>
    /// Int8 symmetric weights as <see cref="DenseGemm"/>'s panels of int8 codes plus padded scales (widened per K block
    /// and call), made on the first batched Dense call and shared by all threads: 1 byte per weight next to the stored
    /// copy instead of <see cref="PackedDense"/>'s 4 (1.8 MB instead of 7.4 MB for the 784-1024-1024-10 MLP).
    /// </summary>
    internal (sbyte[] Codes, float[] Scales) PackedDenseInt8(int panelWidth)
    {
        PackedDenseCodes? cached = Volatile.Read(ref _packedDenseInt8);
        if (cached is null || cached.PanelWidth != panelWidth)
        {
            (sbyte[] codes, float[] scales) = DenseGemm.PackInt8(this, panelWidth);
            cached = new PackedDenseCodes(panelWidth, codes, scales);
            Volatile.Write(ref _packedDenseInt8, cached); // as PackedDense: a race packs twice, either result is kept
        }

        return (cached.Codes, cached.Scales);
    }

    private PackedDenseCodes? _packedDenseInt8;

    private sealed record PackedDenseCodes(int PanelWidth, sbyte[] Codes, float[] Scales);

    /// <summary>
    /// Int8 symmetric weights repacked for <see cref="Int8Gemm"/> (panels of 16 channels × 4 k, plus padded scales and
    /// row sums), made on the first int8-activation call with ≥ <see cref="Int8Gemm.MinRows"/> rows and then shared by
    /// all threads: 1 byte per weight next to the stored copy (1.8 MB for the 784-1024-1024-10 MLP), not 4.
    /// </summary>
    internal PackedInt8 PackedInt8()
    {
        PackedInt8? cached = Volatile.Read(ref _packedInt8);
        if (cached is null)
        {
            cached = Int8Gemm.Pack(this);
            Volatile.Write(ref _packedInt8, cached); // a race packs twice; equal results, either is kept
        }

        return cached;
    }

    private PackedInt8? _packedInt8;

    /// <summary>True once <see cref="PackedDense"/> made its float panels (for the memory tests).</summary>
    internal bool HasPackedDense => Volatile.Read(ref _packedDense) is not null;

    private sealed record PackedConvWeights(int RowsPerGroup, ArraySegment<float> Data);

    /// <summary>
    /// For int8 weights: each row's code sum <c>Σ_k q[j,k]</c> (the int8-activation kernels subtract the activations'
    /// zero point through it) and whether any code is −128 (which <see cref="SignedByteDot"/> cannot take). Made once
    /// per process on first use and shared by all threads; 4 bytes per row.
    /// </summary>
    internal Int8Sums Int8RowSums()
    {
        Int8Sums? cached = Volatile.Read(ref _int8Sums);
        if (cached is null)
        {
            var sums = new int[Rows];
            ReadOnlySpan<sbyte> codes = Int8; // a view into the mapped resource or the array
            bool minus128 = false;
            for (int r = 0; r < Rows; r++)
            {
                int sum = 0;
                foreach (sbyte v in codes.Slice(r * Cols, Cols))
                {
                    sum += v;
                    minus128 |= v == sbyte.MinValue;
                }

                sums[r] = sum;
            }

            cached = new Int8Sums(sums, minus128);
            Volatile.Write(ref _int8Sums, cached); // two threads may both compute: equal results, either is kept
        }

        return cached;
    }

    /// <summary>See <see cref="Int8RowSums"/>.</summary>
    internal sealed record Int8Sums(int[] Sums, bool HasMinus128);

    private sealed record PackedDenseWeights(int PanelWidth, ArraySegment<float> Data, bool Finite);
}
