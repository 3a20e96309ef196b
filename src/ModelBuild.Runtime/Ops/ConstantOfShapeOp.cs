using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX ConstantOfShape: a tensor of the shape given by the 1-D int64 <paramref name="Shape"/> (constant or computed
/// per call), every element the <c>value</c> attribute (float32, int64 or bool, by the output's type; default 0.0f).
/// </summary>
/// <param name="Shape">The int64 shape value.</param>
/// <param name="Y">Output.</param>
/// <param name="FloatValue">The fill value of a float32 output.</param>
/// <param name="IntValue">The fill value of an int64 output (a bool output is true when it is non-zero).</param>
public sealed record ConstantOfShapeOp(int Shape, int Y, float FloatValue, long IntValue) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var dims = c.Longs(Shape);
        if (dims.Length > ShapeMath.MaxRank)
        {
            throw Fail($"rank {dims.Length} exceeds {ShapeMath.MaxRank}.");
        }

        Span<int> ys = stackalloc int[dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            ys[i] = dims[i] is >= 0 and <= int.MaxValue ? (int)dims[i] : throw Fail($"shape element {i} is {dims[i]}.");
        }

        switch (c.TypeOf(Y))
        {
            case TensorType.Float32:
                Simd.Fill(c.OutputFloats(Y, ys), FloatValue);
                break;
            case TensorType.Int64:
                Simd.Fill(c.OutputLongs(Y, ys), IntValue);
                break;
            default:
                Simd.Fill(c.OutputBools(Y, ys), IntValue != 0);
                break;
        }
    }
}
