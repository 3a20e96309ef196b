using System.Numerics;
using System.Runtime.InteropServices;
using ModelBuild.Compression.Algorithms.Quantization;

namespace ModelBuild.Compression.Algorithms.Reconstruction;

/// <summary>
/// The part of a masked ridge refit that depends on the inputs only: G = XᵀX / n over the inputs with a column of
/// ones appended when a bias is fitted ((cols + 1)² float64, upper triangle). Computing it is the refit's largest cost
/// (n·size²/2 multiply-adds: 9.8·10⁹ for mnist_cnn_fc128's fc1 on 2,000 samples), and every refit of a layer whose
/// inputs did not change (auto's pruned candidates on one layer, SparseGPT rounds of the last layer) can share it.
/// </summary>
public sealed class RidgeSystem
{
    private readonly float[] _inputs;

    private RidgeSystem(float[] inputs, int cols, bool withBias, double[] upper)
    {
        _inputs = inputs;
        Cols = cols;
        WithBias = withBias;
        Upper = upper;
        Samples = inputs.Length / cols;
        var meanDiagonal = 0.0;
        for (var c = 0; c < cols; c++)
        {
            meanDiagonal += upper[(c * Size) + c] / cols;
        }

        MeanDiagonal = meanDiagonal;
    }

    /// <summary>Inputs per row of the layer (the weight matrix's columns).</summary>
    public int Cols { get; }

    /// <summary>True when the system has the bias column (index <see cref="Cols"/>).</summary>
    public bool WithBias { get; }

    /// <summary>Unknowns per row: <see cref="Cols"/>, plus one for the bias.</summary>
    public int Size => Cols + (WithBias ? 1 : 0);

    /// <summary>Calibration samples n (rows of X).</summary>
    public int Samples { get; }

    /// <summary>G = XᵀX / n, Size × Size row-major; only the upper triangle (column ≥ row) is defined.</summary>
    public double[] Upper { get; }

    /// <summary>mean(diag G) over the weight columns: the scale of the ridge penalty.</summary>
    public double MeanDiagonal { get; }

    /// <summary>G[i, j] from the upper triangle.</summary>
    public double this[int i, int j] => i <= j ? Upper[(i * Size) + j] : Upper[(j * Size) + i];

    /// <summary>Builds the system of <paramref name="inputs"/> (n × <paramref name="cols"/>, row-major).</summary>
    /// <remarks>Summed by <see cref="GramAccumulator"/> (SIMD blocks, threads over column strips), then divided by n.</remarks>
    public static RidgeSystem Build(float[] inputs, int cols, bool withBias)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var n = inputs.Length / cols;
        var size = cols + (withBias ? 1 : 0);
        var gram = new GramAccumulator(size);
        for (var s = 0; s < n; s++)
        {
            var row = gram.NextRow();
            var source = inputs.AsSpan(s * cols, cols);
            for (var c = 0; c < cols; c++)
            {
                row[c] = source[c];
            }

            if (withBias)
            {
                row[cols] = 1.0;
            }

            gram.Commit();
        }

        var upper = gram.Gram();
        var scale = 1.0 / Math.Max(1, n);
        for (var i = 0; i < size; i++)
        {
            var row = upper.AsSpan((i * size) + i, size - i);
            for (var j = 0; j < row.Length; j++)
            {
                row[j] *= scale;
            }
        }

        return new RidgeSystem(inputs, cols, withBias, upper);
    }

    /// <summary>True when this system was built from exactly these inputs (same shape, same bits).</summary>
    public bool Matches(float[] inputs, int cols, bool withBias) =>
        cols == Cols && withBias == WithBias && inputs.Length == _inputs.Length
        && (ReferenceEquals(inputs, _inputs) || MemoryMarshal.AsBytes(inputs.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(_inputs.AsSpan())));

    /// <summary>
    /// C = Yᵀ·X / n (rows × Size, row-major): each output row's right-hand side, bias column last. X and Y are widened to
    /// float64 and multiplied four output rows by two vectors of inputs at a time (<see cref="VectorTile"/>).
    /// </summary>
    public double[] Cross(float[] targets, int rows)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var (n, size) = (Samples, Size);
        var width = 2 * Vector<double>.Count;
        var stride = (size + width - 1) / width * width; // zero-padded so every tile is whole
        var blocks = (rows + 3) / 4;
        var x = new double[(long)n * stride <= Array.MaxLength ? n * stride : throw new ArgumentOutOfRangeException(nameof(targets), "the inputs would not fit in one array")];
        for (var s = 0; s < n; s++)
        {
            var source = _inputs.AsSpan(s * Cols, Cols);
            var target = x.AsSpan(s * stride, stride);
            for (var c = 0; c < Cols; c++)
            {
                target[c] = source[c];
            }

            if (WithBias)
            {
                target[Cols] = 1.0;
            }
        }

        var yt = new double[blocks * 4 * n];
        for (var s = 0; s < n; s++)
        {
            for (var r = 0; r < rows; r++)
            {
                yt[(r * n) + s] = targets[(s * rows) + r];
            }
        }

        var product = new double[blocks * 4 * stride];
        Parallel.For(0, blocks, b =>
        {
            for (var j = 0; j < stride; j += width)
            {
                VectorTile.FourByTwo(yt, b * 4 * n, n, x, j, stride, n, product, (b * 4 * stride) + j, stride, accumulate: false);
            }
        });

        var cross = new double[rows * size];
        var scale = 1.0 / Math.Max(1, n);
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < size; c++)
            {
                cross[(r * size) + c] = product[(r * stride) + c] * scale;
            }
        }

        return cross;
    }
}
