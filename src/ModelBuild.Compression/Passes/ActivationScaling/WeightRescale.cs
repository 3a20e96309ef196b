namespace ModelBuild.Compression.Passes.ActivationScaling;

/// <summary>
/// Factors an activation-scaling pass (AWQ, SmoothQuant) multiplied into a weight's matrix view without changing what
/// the model computes: weight[r, c] = original[r, c] · Columns[c] · Rows[r] (null: all 1). The layer's own columns
/// get s, the producer's rows 1/s. The report uses them to compare a compressed weight with its original.
/// </summary>
public sealed record WeightRescale(double[]? Columns, double[]? Rows)
{
    /// <summary>Multiplies <paramref name="context"/>'s record for <paramref name="name"/> by new column or row factors.</summary>
    public static void Record(CompressionContext context, string name, double[]? columns, double[]? rows)
    {
        ArgumentNullException.ThrowIfNull(context);
        var earlier = context.Rescaled.GetValueOrDefault(name);
        context.Rescaled[name] = new WeightRescale(Combine(earlier?.Columns, columns), Combine(earlier?.Rows, rows));
    }

    /// <summary>
    /// <paramref name="matrix"/> (rows × cols) times the factors, or divided by them with <paramref name="undo"/>;
    /// unchanged when the factors do not fit its shape (a later pass reshaped the weight).
    /// </summary>
    public float[] Apply(float[] matrix, int rows, int cols, bool undo)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if ((Columns is not null && Columns.Length != cols) || (Rows is not null && Rows.Length != rows) || matrix.Length != rows * cols)
        {
            return matrix;
        }

        var result = new float[matrix.Length];
        for (var i = 0; i < matrix.Length; i++)
        {
            var f = (Columns?[i % cols] ?? 1) * (Rows?[i / cols] ?? 1);
            result[i] = (float)(undo ? matrix[i] / f : matrix[i] * f);
        }

        return result;
    }

    private static double[]? Combine(double[]? a, double[]? b) =>
        a is null ? b : b is null || a.Length != b.Length ? a : a.Select((v, i) => v * b[i]).ToArray();
}
