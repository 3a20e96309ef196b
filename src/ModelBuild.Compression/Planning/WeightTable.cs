using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// The weights the plan refers to, in first-use order. A tensor used twice in the same form is stored once.
/// Matrices are stored row-major with one row per output unit, the layout the Dense and Conv kernels stream.
/// </summary>
internal sealed class WeightTable
{
    private readonly Dictionary<string, int> _byKey = new(StringComparer.Ordinal);

    public List<WeightEntry> Entries { get; } = new();

    public int AddFloats(string key, string name, float[] values, int[] dims) =>
        Add(key, () => new WeightEntry(name, "float32", dims, values, null));

    /// <summary>A float32 conv weight the blob stores in the conv tiles' order (format 11; see <c>LoweringContext.ConvMatrix</c>).</summary>
    public int AddConvBlocks(string key, string name, float[] values, int[] dims) =>
        Add(key, () => new WeightEntry(name, "float32", dims, values, null, ConvBlocks: true));

    public int AddStored(string key, string name, StoredMatrix matrix, int[] dims) =>
        Add(key, () => new WeightEntry(name, FormatName(matrix), dims, null, matrix));

    private static string FormatName(StoredMatrix matrix) => matrix switch
    {
        DenseFloat => "float32",
        LinearQuantized { Bits: 8, IsTernary: false, ZeroPoints: null } q when q.GroupSize >= q.Cols => "int8",
        LinearQuantized { Bits: 8, IsTernary: false } q when q.GroupSize >= q.Cols => "int8a",
        _ => Token(matrix),
    };

    /// <summary>A plan token naming the representation (plan bare words allow only [A-Za-z0-9_.,:+-]).</summary>
    private static string Token(StoredMatrix matrix) => matrix switch
    {
        LinearQuantized { IsTernary: true } => "ternary",
        LinearQuantized q => $"int{q.Bits}" + (q.GroupSize >= q.Cols ? "" : $"-g{q.GroupSize}") + (q.ZeroPoints is null ? "" : "a"),
        Palettized p => $"palette{p.Bits}",
        HalfFloat h => h.IsBFloat16 ? "bf16" : "fp16",
        SparseMatrix s => "sparse+" + Token(s.Inner),
        WithOutliers o => Token(o.Base) + "+outliers",
        _ => "float32",
    };

    private int Add(string key, Func<WeightEntry> create)
    {
        if (_byKey.TryGetValue(key, out var index))
        {
            return index;
        }

        Entries.Add(create());
        _byKey[key] = Entries.Count - 1;
        return Entries.Count - 1;
    }
}

/// <summary>One blob entry: either floats or a matrix in a pass's chosen representation.</summary>
/// <remarks>With <paramref name="ConvBlocks"/> the floats are written in blob format 11 (rows interleaved in blocks of 4).</remarks>
internal sealed record WeightEntry(string Name, string Format, int[] Dims, float[]? Floats, StoredMatrix? Stored, bool ConvBlocks = false);
