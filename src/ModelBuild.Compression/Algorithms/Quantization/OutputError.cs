namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// The layer output error E‖ΔW·x‖² = tr(ΔW·H·ΔWᵀ) and its gradient 2·ΔW·H, through a <see cref="HessianSketch"/>
/// (H ≈ BᵀB + σI): P = ΔW·Bᵀ (rows × k), loss = ‖P‖² + σ‖ΔW‖², gradient = 2·(P·B + σ·ΔW).
/// </summary>
/// <remarks>Products go through <see cref="RowBlockProduct"/>, whose results do not depend on the SIMD width.</remarks>
internal sealed class OutputError
{
    private readonly HessianSketch _sketch;
    private readonly int _rows;
    private readonly float[] _transposed; // Bᵀ, cols × k
    private readonly float[] _product;    // P, then 2P

    public OutputError(HessianSketch sketch, int rows)
    {
        _sketch = sketch;
        _rows = rows;
        var (k, cols) = (sketch.Rank, sketch.Cols);
        _transposed = new float[cols * k];
        for (var j = 0; j < k; j++)
        {
            for (var c = 0; c < cols; c++)
            {
                _transposed[(c * k) + j] = sketch.Factor[(j * cols) + c];
            }
        }

        _product = new float[rows * k];
    }

    /// <summary>tr(ΔW·H·ΔWᵀ) for <paramref name="delta"/> (rows × cols, row-major).</summary>
    public double Loss(float[] delta)
    {
        Multiply(delta);
        return Total(delta);
    }

    /// <summary>Writes 2·ΔW·H into <paramref name="gradient"/> and returns the loss.</summary>
    public double Gradient(float[] delta, float[] gradient)
    {
        Multiply(delta);
        var loss = Total(delta);
        var twoSigma = (float)(2 * _sketch.Sigma);
        for (var i = 0; i < delta.Length; i++)
        {
            gradient[i] = twoSigma * delta[i];
        }

        for (var i = 0; i < _product.Length; i++)
        {
            _product[i] *= 2;
        }

        RowBlockProduct.MultiplyAdd(_product, _rows, _sketch.Rank, _sketch.Factor, _sketch.Cols, gradient);
        return loss;
    }

    private void Multiply(float[] delta)
    {
        Array.Clear(_product);
        RowBlockProduct.MultiplyAdd(delta, _rows, _sketch.Cols, _transposed, _sketch.Rank, _product);
    }

    private double Total(float[] delta)
    {
        double sum = 0, own = 0;
        foreach (var p in _product)
        {
            sum += (double)p * p;
        }

        foreach (var d in delta)
        {
            own += (double)d * d;
        }

        return sum + (_sketch.Sigma * own);
    }
}
