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
