using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Passes;

/// <summary>Round-to-nearest linear quantisation of every Conv/Gemm/MatMul weight.</summary>
public sealed class LinearQuantizePass(QuantizeSpec spec) : ICompressionPass
{
    public void Apply(CompressionContext context)
    {
        foreach (var layer in context.Layers())
        {
            var tensor = context.Graph.GetInitializer(layer.Name)!;
            var axis = layer.Layout == MatrixLayout.RowsFirst ? 0 : 1;
            var q = LinearQuantizer.QuantizeInt8(tensor, axis, spec.Granularity, spec.Symmetric);
            var m = q.ToRowMajorMatrix(transpose: axis == 1);
            context.Stored[layer.Name] = new LinearQuantized(m.Rows, m.Cols, 8, m.Cols, m.Values, m.RowScales, m.ZeroPoints);
        }
    }
}
