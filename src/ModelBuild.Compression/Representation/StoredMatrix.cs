namespace ModelBuild.Compression.Representation;

/// <summary>
/// How one weight matrix is stored in the blob, in the planner's matrix view: <see cref="Rows"/> output units
/// (Conv filters, Gemm output neurons) of <see cref="Cols"/> inputs each, row-major.
/// </summary>
/// <remarks>
/// Passes decide the representation (quantisation, codebooks, sparsity, ...); the storage layer encodes it
/// (docs/FORMATS.md) and the runtime decodes it. <see cref="Decode"/> is the reference meaning of every format:
/// the compressed ONNX, the report's error figures and the runtime all agree with it.
/// </remarks>
public abstract record StoredMatrix(int Rows, int Cols)
{
    /// <summary>The weights this representation stands for, row-major, Rows·Cols values.</summary>
    public abstract float[] Decode();

    /// <summary>A short description for the report, e.g. <c>int4 g128 sym</c>.</summary>
    public abstract string Describe();
}

/// <summary>Plain float32 values.</summary>
public sealed record DenseFloat(int Rows, int Cols, float[] Values) : StoredMatrix(Rows, Cols)
{
    public override float[] Decode() => (float[])Values.Clone();

    public override string Describe() => "float32";
}

/// <summary>IEEE half (or bfloat16) values, as their 16-bit patterns.</summary>
public sealed record HalfFloat(int Rows, int Cols, ushort[] Bits, bool IsBFloat16) : StoredMatrix(Rows, Cols)
{
    public override float[] Decode() => Bits.Select(b => IsBFloat16 ? BitConverter.Int32BitsToSingle(b << 16) : (float)BitConverter.UInt16BitsToHalf(b)).ToArray();

    public override string Describe() => IsBFloat16 ? "bf16" : "fp16";
}

/// <summary>
/// Linear (uniform) quantisation with <see cref="Bits"/> bits (2..8): value = (code − zero point) · scale, with one
/// scale (and zero point) per group of <see cref="GroupSize"/> consecutive columns of a row. GroupSize = Cols is
/// per-channel; per-tensor repeats one scale. Codes lie in [−2^(Bits−1), 2^(Bits−1) − 1].
/// <see cref="IsTernary"/>: codes are −1, 0, +1 only (stored at log2(3) bits, 5 per byte, unless <see cref="TwoBitCodes"/>).
/// </summary>
public sealed record LinearQuantized(int Rows, int Cols, int Bits, int GroupSize, sbyte[] Codes, float[] Scales, sbyte[]? ZeroPoints, bool IsTernary = false)
    : StoredMatrix(Rows, Cols)
{
    /// <summary>
    /// Ternary codes stored as ordinary 2-bit codes instead of 5 trits a byte: larger raw, but smaller once the blob
    /// is entropy coded (the storage step chooses it, see <c>Storage.StorageChoice</c>). Same decoded values.
    /// </summary>
    public bool TwoBitCodes { get; init; }

    /// <summary>Groups per row.</summary>
    public int GroupsPerRow => (Cols + GroupSize - 1) / GroupSize;

    public override float[] Decode()
    {
        // Group by group with its scale and zero point in locals: decoded on every read of a multi-GB model's weights.
        var result = new float[Rows * Cols];
        var groups = GroupsPerRow;
        for (var r = 0; r < Rows; r++)
        {
            for (var g = 0; g < groups; g++)
            {
                var scale = Scales[(r * groups) + g];
                var zp = ZeroPoints is null ? 0 : ZeroPoints[(r * groups) + g];
                var end = (r * Cols) + Math.Min(Cols, (g + 1) * GroupSize);
                for (var i = (r * Cols) + (g * GroupSize); i < end; i++)
                {
                    result[i] = (Codes[i] - zp) * scale;
                }
            }
        }

        return result;
    }

    public override string Describe() =>
        (IsTernary ? (TwoBitCodes ? "ternary (2-bit codes)" : "ternary") : $"int{Bits}") + (GroupSize >= Cols ? " per-channel" : $" g{GroupSize}") + (ZeroPoints is null ? " sym" : " asym");
}

/// <summary>
/// Weight sharing: each value is an index into a codebook of 2^<see cref="Bits"/> floats. Each block of
/// <see cref="RowsPerCodebook"/> rows has its own codebook (RowsPerCodebook = Rows: one per tensor).
/// </summary>
public sealed record Palettized(int Rows, int Cols, int Bits, int RowsPerCodebook, float[] Codebooks, byte[] Indices) : StoredMatrix(Rows, Cols)
{
    public override float[] Decode()
    {
        var size = 1 << Bits;
        var result = new float[Rows * Cols];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Codebooks[(i / Cols / RowsPerCodebook * size) + Indices[i]];
        }

        return result;
    }

    public override string Describe() => $"palette {Bits}-bit" + (RowsPerCodebook >= Rows ? "" : $" per {RowsPerCodebook} rows");
}

/// <summary>
/// A sparse matrix: only entries where <see cref="Mask"/> is true are stored (in <see cref="Inner"/>'s format);
/// the rest are exactly zero. <see cref="Inner"/> holds the full matrix with zeros at masked-out places.
/// </summary>
public sealed record SparseMatrix(int Rows, int Cols, bool[] Mask, StoredMatrix Inner) : StoredMatrix(Rows, Cols)
{
    public double Density => Mask.Count(m => m) / (double)Math.Max(1, Mask.Length);

    public override float[] Decode()
    {
        var values = Inner.Decode();
        for (var i = 0; i < values.Length; i++)
        {
            if (!Mask[i])
            {
                values[i] = 0;
            }
        }

        return values;
    }

    public override string Describe() => $"sparse {1 - Density:P1} zero, {Inner.Describe()}";
}

/// <summary>A base representation plus a side list of exact outliers (fp16) that replace the base's values.</summary>
public sealed record WithOutliers(int Rows, int Cols, StoredMatrix Base, int[] Indices, ushort[] HalfValues) : StoredMatrix(Rows, Cols)
{
    public override float[] Decode()
    {
        var values = Base.Decode();
        for (var i = 0; i < Indices.Length; i++)
        {
            values[Indices[i]] = (float)BitConverter.UInt16BitsToHalf(HalfValues[i]);
        }

        return values;
    }

    public override string Describe() => $"{Base.Describe()} + {Indices.Length} fp16 outliers";
}
