namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>Round-to-nearest linear quantisation of a matrix (the baseline every other method is compared with).</summary>
public static class RoundToNearest
{
    /// <summary>Quantises <paramref name="w"/> (rows × cols, row-major) and returns the codes and the decoded values.</summary>
    /// <param name="w">The weights.</param>
    /// <param name="rows">Output units.</param>
    /// <param name="cols">Inputs.</param>
    /// <param name="options">Bits, symmetry, groups.</param>
    /// <param name="outliers">Positions kept in fp16 (null: none).</param>
    /// <param name="fixedZeros">Pruned positions that must decode to exactly 0 (null: none).</param>
    public static (QuantizedMatrix Matrix, float[] Decoded) Quantize(double[] w, int rows, int cols, GridOptions options, bool[]? outliers, bool[]? fixedZeros)
    {
        if (IsPlain(options, outliers, fixedZeros))
        {
            return QuantizeRows(rows, cols, options, (r, row) => w.AsSpan(r * cols, cols).CopyTo(row));
        }

        var result = new QuantizedMatrix(rows, cols, options);
        SetAllGrids(result, w, Skip(outliers, fixedZeros));
        var decoded = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var i = (r * cols) + c;
                decoded[i] = fixedZeros is not null && fixedZeros[i] ? result.Quantize(r, c, 0)
                    : outliers is not null && outliers[i] ? result.KeepOutlier(r, c, w[i])
                    : result.Quantize(r, c, w[i]);
            }
        }

        return (result, decoded);
    }

    /// <summary>
    /// <see cref="Quantize(double[], int, int, GridOptions, bool[], bool[])"/> of float32 weights without outliers or
    /// pruned positions, without a float64 copy of the matrix (the same codes, grids and decoded values: float32 →
    /// float64 is exact). A multi-gigabyte model's layer is then quantised in one pass over its floats (issue 12).
    /// </summary>
    /// <exception cref="ArgumentException">The options ask for per-tensor or ternary grids (use the float64 overload).</exception>
    public static (QuantizedMatrix Matrix, float[] Decoded) Quantize(float[] w, int rows, int cols, GridOptions options)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (!IsPlain(options, null, null))
        {
            throw new ArgumentException("per-tensor and ternary grids need the float64 overload", nameof(options));
        }

        return QuantizeRows(rows, cols, options, (r, row) =>
        {
            var source = w.AsSpan(r * cols, cols);
            for (var c = 0; c < source.Length; c++)
            {
                row[c] = source[c];
            }
        });
    }

    /// <summary>True when every grid covers a contiguous run of a row with nothing left out: the fast path applies.</summary>
    public static bool IsPlain(GridOptions options, bool[]? outliers, bool[]? fixedZeros) =>
        outliers is null && fixedZeros is null && !options.PerTensor && !options.Ternary;

    /// <summary>Row by row: each group's grid from its values, then each value's code and decoded value on that grid.</summary>
    private static (QuantizedMatrix Matrix, float[] Decoded) QuantizeRows(int rows, int cols, GridOptions options, Action<int, double[]> readRow)
    {
        var result = new QuantizedMatrix(rows, cols, options);
        var groupSize = result.Options.GroupSize;
        var decoded = new float[checked(rows * cols)];
        var row = new double[cols];
        for (var r = 0; r < rows; r++)
        {
            readRow(r, row);
            var codes = result.RowCodes(r);
            for (var c0 = 0; c0 < cols; c0 += groupSize)
            {
                var n = Math.Min(groupSize, cols - c0);
                var grid = UniformGrid.FindContiguous(row.AsSpan(c0, n), result.Options);
                result.SetGrid(r, c0, grid);
                Round(row.AsSpan(c0, n), grid, codes.Slice(c0, n), decoded.AsSpan((r * cols) + c0, n));
            }
        }

        return (result, decoded);
    }

    /// <summary>
    /// <see cref="UniformGrid.Code"/> and <see cref="UniformGrid.Value"/> of every value, with the grid in locals:
    /// the same arithmetic (float64 division by the float32 scale, round half to even, clamp), so the same bits.
    /// </summary>
    private static void Round(ReadOnlySpan<double> values, UniformGrid grid, Span<sbyte> codes, Span<float> decoded)
    {
        double scale = grid.Scale, zeroPoint = grid.ZeroPoint, qmin = grid.QMin, qmax = grid.QMax;
        for (var i = 0; i < values.Length; i++)
        {
            var code = (int)Math.Clamp(Math.Round(values[i] / scale) + zeroPoint, qmin, qmax);
            codes[i] = (sbyte)code;
            decoded[i] = (code - grid.ZeroPoint) * grid.Scale;
        }
    }

    /// <summary>Computes every grid of <paramref name="matrix"/> from <paramref name="w"/>, leaving out skipped positions.</summary>
    public static void SetAllGrids(QuantizedMatrix matrix, double[] w, bool[]? skip)
    {
        if (matrix.Options.PerTensor)
        {
            matrix.SetGrid(0, 0, UniformGrid.Find(w, matrix.GroupIndices(0, 0), skip, matrix.Options));
            return;
        }

        for (var r = 0; r < matrix.Rows; r++)
        {
            for (var c = 0; c < matrix.Cols; c += matrix.Options.GroupSize)
            {
                matrix.SetGrid(r, c, UniformGrid.Find(w, matrix.GroupIndices(r, c), skip, matrix.Options));
            }
        }
    }

    /// <summary>The union of two optional masks.</summary>
    public static bool[]? Skip(bool[]? a, bool[]? b) =>
        a is null ? b : b is null ? a : a.Select((v, i) => v || b[i]).ToArray();
}
