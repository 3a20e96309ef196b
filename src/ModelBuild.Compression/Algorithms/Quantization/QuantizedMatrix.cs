using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// The codes, grids and fp16 outliers of one matrix while a quantiser fills them in, and the
/// <see cref="StoredMatrix"/> they become.
/// </summary>
public sealed class QuantizedMatrix
{
    private readonly UniformGrid[] _grids;
    private readonly sbyte[] _codes;
    private readonly Dictionary<int, ushort> _outliers = new();

    /// <summary>Starts an empty matrix; every grid must be set (<see cref="SetGrid"/>) before codes that use it.</summary>
    public QuantizedMatrix(int rows, int cols, GridOptions options)
    {
        Rows = rows;
        Cols = cols;
        Options = options with { GroupSize = Math.Clamp(options.GroupSize, 1, cols) };
        _grids = new UniformGrid[options.PerTensor ? 1 : rows * GroupsPerRow];
        _codes = new sbyte[rows * cols];
    }

    public int Rows { get; }

    public int Cols { get; }

    public GridOptions Options { get; }

    public int GroupsPerRow => (Cols + Options.GroupSize - 1) / Options.GroupSize;

    /// <summary>The positions (row-major) that share the grid of (row, column).</summary>
    public IEnumerable<int> GroupIndices(int row, int col)
    {
        if (Options.PerTensor)
        {
            return Enumerable.Range(0, Rows * Cols);
        }

        var start = col / Options.GroupSize * Options.GroupSize;
        return Enumerable.Range((row * Cols) + start, Math.Min(Options.GroupSize, Cols - start));
    }

    /// <summary>The grid used at (row, column).</summary>
    public UniformGrid GridAt(int row, int col) => _grids[GridIndex(row, col)];

    public void SetGrid(int row, int col, UniformGrid grid) => _grids[GridIndex(row, col)] = grid;

    /// <summary>The codes of one row, for quantisers that fill a row at a time (round to nearest's fast path).</summary>
    internal Span<sbyte> RowCodes(int row) => _codes.AsSpan(row * Cols, Cols);

    /// <summary>Rounds <paramref name="w"/> on the grid of (row, column), stores the code and returns the value it decodes to.</summary>
    public float Quantize(int row, int col, double w)
    {
        var grid = GridAt(row, col);
        var code = grid.Code(w);
        _codes[(row * Cols) + col] = (sbyte)code;
        return grid.Value(code);
    }

    /// <summary>Stores a chosen code at (row, column) (clamped to the grid's range) and returns the value it decodes to.</summary>
    public float SetCode(int row, int col, int code)
    {
        var grid = GridAt(row, col);
        code = Math.Clamp(code, grid.QMin, grid.QMax);
        _codes[(row * Cols) + col] = (sbyte)code;
        return grid.Value(code);
    }

    /// <summary>Keeps <paramref name="w"/> as an fp16 outlier and returns the value it decodes to.</summary>
    public float KeepOutlier(int row, int col, double w)
    {
        var half = (Half)w;
        _outliers[(row * Cols) + col] = BitConverter.HalfToUInt16Bits(half);
        Quantize(row, col, w);
        return (float)half;
    }

    /// <summary>The representation: <see cref="LinearQuantized"/>, wrapped in <see cref="WithOutliers"/> if any were kept.</summary>
    public StoredMatrix ToStored()
    {
        var groups = GroupsPerRow;
        var scales = new float[Rows * groups];
        var zeroPoints = Options.Symmetric || Options.Ternary ? null : new sbyte[Rows * groups];
        for (var r = 0; r < Rows; r++)
        {
            for (var g = 0; g < groups; g++)
            {
                var grid = GridAt(r, g * Options.GroupSize);
                scales[(r * groups) + g] = grid.Scale;
                if (zeroPoints is not null)
                {
                    zeroPoints[(r * groups) + g] = (sbyte)grid.ZeroPoint;
                }
            }
        }

        var bits = Options.Ternary ? 2 : Options.Bits;
        var linear = new LinearQuantized(Rows, Cols, bits, Options.GroupSize, (sbyte[])_codes.Clone(), scales, zeroPoints, Options.Ternary);
        if (_outliers.Count == 0)
        {
            return linear;
        }

        var indices = _outliers.Keys.Order().ToArray();
        return new WithOutliers(Rows, Cols, linear, indices, indices.Select(i => _outliers[i]).ToArray());
    }

    private int GridIndex(int row, int col) => Options.PerTensor ? 0 : (row * GroupsPerRow) + (col / Options.GroupSize);
}
