namespace ModelBuild.Runtime.Formats;

/// <summary>
/// A sparse weight (format 8) kept as compressed sparse rows for <see cref="SparseDense"/>: per row its nonzero
/// values (float32, decoded from whatever inner format the entry stores) and their columns (u16). Memory is
/// 6 bytes per nonzero plus 4 per row, against 4 bytes per weight for the float32 decoding it replaces.
/// </summary>
/// <remarks>
/// Built only when the nonzeros are at most <see cref="MaxDensity"/> of the weights and there are at most 65536
/// columns; denser entries keep the float32 decoding, where the dense kernels are faster than a gather per value
/// (break-even measured on the wide MLP, IMPLEMENTATION.md). Zeros are skipped, so an input of ±∞ or NaN meets
/// only the nonzero weights (a dense product would turn 0·∞ into NaN).
/// </remarks>
internal sealed class SparseWeights
{
    /// <summary>Largest fraction of nonzero weights stored as CSR.</summary>
    public const double MaxDensity = 0.25;

    private SparseWeights(int rows, int cols, int[] rowStart, ushort[] columns, float[] values)
    {
        Rows = rows;
        Cols = cols;
        RowStart = rowStart;
        Columns = columns;
        Values = values;
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Row r's nonzeros are <c>[RowStart[r], RowStart[r + 1])</c> of <see cref="Columns"/> and <see cref="Values"/>; rows + 1 entries.</summary>
    public int[] RowStart { get; }

    /// <summary>Each nonzero's column, ascending within a row.</summary>
    public ushort[] Columns { get; }

    /// <summary>Each nonzero's value.</summary>
    public float[] Values { get; }

    /// <summary>Bytes this weight holds in memory.</summary>
    public long ByteCount => (4L * RowStart.Length) + (2L * Columns.Length) + (4L * Values.Length);

    /// <summary>The CSR form of a decoded <paramref name="rows"/> × <paramref name="cols"/> matrix, or null when it is too dense or too wide.</summary>
    /// <param name="dense">The decoded values, row-major.</param>
    /// <param name="rows">Rows (output channels).</param>
    /// <param name="cols">Columns (inputs).</param>
    /// <param name="maxDensity">The largest fraction of nonzeros to accept (benchmarks force CSR to find the break-even).</param>
    public static SparseWeights? TryCreate(ReadOnlySpan<float> dense, int rows, int cols, double maxDensity = MaxDensity)
    {
        if (cols > ushort.MaxValue + 1 || dense.Length == 0)
        {
            return null;
        }

        long nonzeros = 0;
        foreach (float v in dense)
        {
            nonzeros += v != 0 ? 1 : 0;
        }

        if (nonzeros > maxDensity * dense.Length)
        {
            return null;
        }

        var rowStart = new int[rows + 1];
        var columns = new ushort[nonzeros];
        var values = new float[nonzeros];
        int at = 0;
        for (int r = 0; r < rows; r++)
        {
            rowStart[r] = at;
            ReadOnlySpan<float> row = dense.Slice(r * cols, cols);
            for (int c = 0; c < cols; c++)
            {
                if (row[c] != 0)
                {
                    columns[at] = (ushort)c;
                    values[at++] = row[c];
                }
            }
        }

        rowStart[rows] = at;
        return new SparseWeights(rows, cols, rowStart, columns, values);
    }

    /// <summary>Every value, row-major (zeros included), for kernels other than Dense.</summary>
    public float[] Dequantize()
    {
        var result = new float[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++)
        {
            for (int i = RowStart[r]; i < RowStart[r + 1]; i++)
            {
                result[((long)r * Cols) + Columns[i]] = Values[i];
            }
        }

        return result;
    }
}
