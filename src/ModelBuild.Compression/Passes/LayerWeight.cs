using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes;

/// <summary>How a weight tensor maps to the matrix view (rows = output units, cols = inputs).</summary>
public enum MatrixLayout
{
    /// <summary>Conv [OC, C/g, KH, KW] or Gemm transB=1 [N, K]: the tensor already is rows × cols.</summary>
    RowsFirst,

    /// <summary>MatMul or Gemm transB=0 [K, N]: the matrix view is the transpose.</summary>
    ColumnsFirst,
}

/// <summary>A weight that multiplies activations: the node using it, and its matrix view's size.</summary>
public sealed record LayerWeight(string Name, Node Node, int Rows, int Cols, MatrixLayout Layout)
{
    /// <summary>
    /// The initializer name in the original file (what <c>inspect</c> prints), when a graph pass renamed it
    /// (<c>0.weight</c> for <c>0.weight_bnfold</c>); <see cref="Name"/> otherwise.
    /// </summary>
    public string OriginalName { get; init; } = Name;

    /// <summary>The activation the layer reads (its input 0).</summary>
    public string InputValue => Node.Inputs[0];

    public bool IsConv => Node.OpType == "Conv";

    public int ParameterCount => Rows * Cols;
}
