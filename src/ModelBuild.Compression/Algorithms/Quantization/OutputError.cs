using System.Numerics;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// The layer output error E‖ΔW·x‖² = tr(ΔW·H·ΔWᵀ) and its gradient 2·ΔW·H, through a <see cref="HessianSketch"/>
/// (H ≈ BᵀB + σI): P = ΔW·Bᵀ (rows × k), loss = ‖P‖² + σ‖ΔW‖², gradient = 2·(P·B + σ·ΔW).
/// </summary>
/// <remarks>
/// Both products are written as row updates y += a·x (each output element is a sum in a fixed order, whatever the
/// SIMD width), and the multiply and the add are separate (no fused multiply-add), so results are the same on every
/// x64 machine.
/// </remarks>
internal sealed class OutputError
{
    private readonly HessianSketch _sketch;
    private readonly int _rows;
    private readonly float[] _transposed; // Bᵀ, cols × k
    private readonly float[] _product;    // P, rows × k

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
        var (k, cols) = (_sketch.Rank, _sketch.Cols);
        var twoSigma = (float)(2 * _sketch.Sigma);
        for (var r = 0; r < _rows; r++)
        {
            var row = gradient.AsSpan(r * cols, cols);
            var source = delta.AsSpan(r * cols, cols);
            for (var c = 0; c < cols; c++)
            {
                row[c] = twoSigma * source[c];
            }

            for (var j = 0; j < k; j++)
            {
                var a = 2 * _product[(r * k) + j];
                if (a != 0)
                {
                    Axpy(row, _sketch.Factor.AsSpan(j * cols, cols), a);
                }
            }
        }

        return Total(delta);
    }

    // P = ΔW·Bᵀ, row by row: P[r,:] = Σ_c ΔW[r,c]·Bᵀ[c,:].
    private void Multiply(float[] delta)
    {
        var (k, cols) = (_sketch.Rank, _sketch.Cols);
        Array.Clear(_product);
        for (var r = 0; r < _rows; r++)
        {
            var row = _product.AsSpan(r * k, k);
            for (var c = 0; c < cols; c++)
            {
                var a = delta[(r * cols) + c];
                if (a != 0)
                {
                    Axpy(row, _transposed.AsSpan(c * k, k), a);
                }
            }
        }
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

    /// <summary>y += a·x, element-wise.</summary>
    private static void Axpy(Span<float> y, ReadOnlySpan<float> x, float a)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<float>.Count)
        {
            var va = new Vector<float>(a);
            for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                (new Vector<float>(y[i..]) + (va * new Vector<float>(x[i..]))).CopyTo(y[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            y[i] += a * x[i];
        }
    }
}
