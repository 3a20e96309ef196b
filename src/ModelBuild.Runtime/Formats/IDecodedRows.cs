namespace ModelBuild.Runtime.Formats;

/// <summary>
/// A weight matrix kept in a compact form that can write any of its rows as float32 values: what
/// <see cref="DirectGemm"/> and <see cref="DirectDense.RunDecoded"/> need to run the float micro-kernels on a few rows
/// at a time instead of on a float copy of the whole matrix.
/// </summary>
internal interface IDecodedRows
{
    int Rows { get; }

    int Cols { get; }

    /// <summary>Row <paramref name="row"/>'s <see cref="Cols"/> values into <paramref name="dst"/>, bit-exact with the format's definition.</summary>
    void DecodeRow(SimdLevel level, int row, Span<float> dst);
}
