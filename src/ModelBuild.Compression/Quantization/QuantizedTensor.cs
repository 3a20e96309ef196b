using ModelBuild.Compression.Export;

namespace ModelBuild.Compression.Quantization;

/// <summary>
/// An int8-quantised weight. <see cref="Values"/> has the tensor's own layout; the real value of element <c>i</c>
/// is <c>(Values[i] − zp[c]) · Scales[c]</c> where <c>c</c> is its index along <see cref="Axis"/> (or 0 per tensor).
/// </summary>
/// <param name="Name">The weight (initializer) name.</param>
/// <param name="Dims">The tensor shape.</param>
/// <param name="Values">Quantised values, same layout as the float tensor.</param>
/// <param name="Scales">One scale per index along <paramref name="Axis"/>, or a single scale per tensor.</param>
/// <param name="ZeroPoints">As many zero points as scales; empty when symmetric (zero point 0).</param>
/// <param name="Axis">The channel axis the scales run along (kept for per-tensor too).</param>
public sealed record QuantizedTensor(string Name, int[] Dims, sbyte[] Values, float[] Scales, sbyte[] ZeroPoints, int Axis)
{
    /// <summary>True when there is no zero point (format <c>int8</c> rather than <c>int8a</c>).</summary>
    public bool IsSymmetric => ZeroPoints.Length == 0;

    /// <summary>True when one scale covers the whole tensor (a one-channel per-channel tensor is the same thing).</summary>
    public bool IsPerTensor => Scales.Length == 1;

    /// <summary>Largest |w − dequantised w| over the tensor (set by the quantiser; 0 when unknown).</summary>
    public double MaxAbsError { get; init; }

    /// <summary>Signal-to-quantisation-noise ratio in dB, 10·log10(Σw² / Σ(w − ŵ)²); +∞ when exact.</summary>
    public double SqnrDb { get; init; } = double.PositiveInfinity;

    /// <summary>The number of elements.</summary>
    public int ElementCount => Values.Length;

    /// <summary>
    /// When set, <see cref="QuantizedOnnxRewriter"/> stores the int8 initializer as a deferred tensor that calls this
    /// for its bytes (<see cref="Values"/>' layout, produced again whenever the graph's tensor is read) instead of
    /// copying <see cref="Values"/> into the graph (of which only the length is then read): the compressor's stored
    /// codes are the only int8 copy of a multi-gigabyte model held while the compressed .onnx is written and checked
    /// (issue 12).
    /// </summary>
    public Func<byte[]>? ValuesSource { get; init; }

    /// <summary>The scale index of every flat element index: its index along <see cref="Axis"/>, or 0.</summary>
    public int ChannelOf(int flatIndex)
    {
        if (Scales.Length == 1)
        {
            return 0;
        }

        var inner = 1;
        for (var d = Axis + 1; d < Dims.Length; d++)
        {
            inner *= Dims[d];
        }

        return flatIndex / inner % Dims[Axis];
    }

    /// <summary>The float values this tensor stands for, computed as ONNX <c>DequantizeLinear</c> does (float32).</summary>
    public float[] Dequantize()
    {
        var result = new float[Values.Length];
        var inner = 1;
        for (var d = Axis + 1; d < Dims.Length; d++)
        {
            inner *= Dims[d];
        }

        var channels = Scales.Length;
        for (var i = 0; i < result.Length; i++)
        {
            var c = channels == 1 ? 0 : i / inner % channels;
            var zp = ZeroPoints.Length == 0 ? 0 : ZeroPoints[c];
            result[i] = (Values[i] - zp) * Scales[c];
        }

        return result;
    }

    /// <summary>
    /// The matrix the weights blob stores (CONTRACTS §2): one row per output unit, with one scale (and zero point)
    /// per row. Without <paramref name="transpose"/> rows = Dims[0] and cols = the product of the other dims
    /// (per-channel needs Axis 0). With it, a 2-D [k, n] tensor (a MatMul weight, or Gemm with transB=0,
    /// quantised along axis 1) becomes n rows of k.
    /// </summary>
    public QuantizedMatrix ToRowMajorMatrix(bool transpose)
    {
        if (Dims.Length == 0)
        {
            throw new InvalidOperationException($"'{Name}' is a scalar; it has no matrix view.");
        }

        if (transpose && Dims.Length != 2)
        {
            throw new InvalidOperationException($"'{Name}' has rank {Dims.Length}; only 2-D tensors can be transposed.");
        }

        var rowAxis = transpose ? 1 : 0;
        if (Scales.Length != 1 && Axis != rowAxis)
        {
            throw new InvalidOperationException($"'{Name}' is quantised along axis {Axis}, but rows run along axis {rowAxis}.");
        }

        var rows = Dims[rowAxis];
        var cols = rows == 0 ? 0 : Values.Length / rows;
        var values = Values;
        if (transpose)
        {
            values = new sbyte[Values.Length];
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < cols; c++)
                {
                    values[(r * cols) + c] = Values[(c * rows) + r];
                }
            }
        }
        else
        {
            values = (sbyte[])Values.Clone();
        }

        var scales = Scales.Length == 1 ? Enumerable.Repeat(Scales[0], rows).ToArray() : (float[])Scales.Clone();
        sbyte[]? zeroPoints = IsSymmetric ? null : ZeroPoints.Length == 1 ? Enumerable.Repeat(ZeroPoints[0], rows).ToArray() : (sbyte[])ZeroPoints.Clone();
        return new QuantizedMatrix(rows, cols, values, scales, zeroPoints);
    }
}

/// <summary>An int8 matrix, row-major, with one scale (and, asymmetric, one zero point) per row.</summary>
/// <param name="Rows">Number of rows (output units).</param>
/// <param name="Cols">Number of columns.</param>
/// <param name="Values">Rows·Cols values, row-major.</param>
/// <param name="RowScales">One scale per row.</param>
/// <param name="ZeroPoints">One zero point per row, or null when symmetric.</param>
public sealed record QuantizedMatrix(int Rows, int Cols, sbyte[] Values, float[] RowScales, sbyte[]? ZeroPoints);
