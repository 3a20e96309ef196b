namespace ModelBuild.Compression.Passes;

/// <summary>
/// What a layer multiplies on the calibration data, kept in the smaller of two forms: the recorded rows X
/// (n × cols float32, one per sample for Gemm/MatMul) when n ≤ 2·cols, else the second moment H = XᵀX / n
/// (cols × cols float64; always for Conv, whose im2col patches are many). On a large MLP with 64 calibration
/// samples the rows of a 4096-wide layer are 1 MiB against H's 128 MiB, and the report holds one per layer from the
/// start of the passes to the end (issue 12: calibrated passes within 2.5× the weights).
/// </summary>
public sealed class LayerInputs
{
    private readonly float[]? _rows;
    private readonly double[]? _hessian;

    private LayerInputs(float[]? rows, double[]? hessian, int cols) => (_rows, _hessian, Cols) = (rows, hessian, cols);

    /// <summary>The layer's input size (columns of its weight matrix).</summary>
    public int Cols { get; }

    /// <summary>The recorded rows (row-major n × <see cref="Cols"/>), or null when only H was kept.</summary>
    public ReadOnlySpan<float> Rows => _rows;

    /// <summary>Whether the rows were kept (else only H).</summary>
    public bool HasRows => _rows is not null;

    /// <summary>From the recorded input value of <paramref name="layer"/> (<paramref name="data"/> of <paramref name="shape"/>).</summary>
    public static LayerInputs FromRecorded(LayerWeight layer, float[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(data);
        if (layer.IsConv)
        {
            return new LayerInputs(null, HessianBuilder.FromConv(data, shape, layer.Node, layer.Cols), layer.Cols);
        }

        var n = data.Length / layer.Cols;
        return n <= 2L * layer.Cols // n·cols float32 against cols² float64
            ? new LayerInputs(data.Length == (long)n * layer.Cols ? data : data[..(n * layer.Cols)], null, layer.Cols)
            : new LayerInputs(null, HessianBuilder.FromRows(data, layer.Cols), layer.Cols);
    }

    /// <summary>
    /// H = XᵀX / n, cols × cols, row-major, float64: a new array on each call when the rows were kept (the same bits
    /// <see cref="HessianBuilder.FromRows"/> gives), else the kept one (callers must not modify it).
    /// </summary>
    public double[] Hessian() => _hessian ?? HessianBuilder.FromRows(_rows, Cols);

    /// <summary>
    /// v·H·vᵀ for one weight row <paramref name="v"/> (<see cref="Cols"/> values): the energy Σᵢ (xᵢ·v)² / n of that
    /// output over the calibration rows, computed from the rows when kept (n·cols operations instead of cols²).
    /// </summary>
    public double OutputEnergy(ReadOnlySpan<double> v)
    {
        if (_rows is null)
        {
            return QuadraticForm(_hessian!, v, Cols);
        }

        var n = _rows.Length / Cols;
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            var x = _rows.AsSpan(i * Cols, Cols);
            double dot = 0;
            for (var c = 0; c < Cols; c++)
            {
                dot += x[c] * v[c];
            }

            sum += dot * dot;
        }

        return sum / Math.Max(1, n);
    }

    private static double QuadraticForm(double[] h, ReadOnlySpan<double> v, int n)
    {
        double sum = 0;
        for (var a = 0; a < n; a++)
        {
            if (v[a] == 0)
            {
                continue;
            }

            double inner = 0;
            var offset = a * n;
            for (var b = 0; b < n; b++)
            {
                inner += h[offset + b] * v[b];
            }

            sum += v[a] * inner;
        }

        return sum;
    }
}
