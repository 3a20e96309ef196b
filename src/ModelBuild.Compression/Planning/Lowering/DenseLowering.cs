using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX Gemm (transA = 0) and MatMul with a constant 2-D right operand → <see cref="DenseOp"/>. Gemm's C becomes
/// the Dense bias when it is one value per output column (shape [N], [1, N], [1] or scalar); any other shape
/// ([M, 1], [M, N], computed) is added by a broadcasting <see cref="BinaryOp"/> after the product, by its shape.
/// </summary>
internal sealed class DenseLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Gemm", "MatMul"];

    public void Lower(LoweringContext c, Node node)
    {
        var b = c.Constant(node.InputOrNull(1) ?? "");
        if (b is null || b.Dims.Length != 2)
        {
            throw new UnsupportedNodeException(b is null ? "the right operand is not a constant" : $"the constant right operand has rank {b.Dims.Length}, not 2");
        }

        if (node.OpType == "MatMul")
        {
            EmitDense(c, node, b.Name, transposed: true, -1);
            return;
        }

        var transB = node.GetInt("transB", 0);
        if (node.GetInt("transA", 0) != 0 || transB is not (0 or 1))
        {
            throw new UnsupportedNodeException(transB is not (0 or 1) ? $"transB = {transB}" : "transA = 1");
        }

        if (node.GetFloat("alpha", 1f) != 1f)
        {
            throw new UnsupportedNodeException("alpha ≠ 1");
        }

        var n = (int)(transB == 0 ? b.Dims[1] : b.Dims[0]);
        var beta = node.GetFloat("beta", 1f);
        var cName = node.InputOrNull(2);
        var ct = cName is null ? null : c.Constant(cName);
        if (cName is null || beta == 0f)
        {
            EmitDense(c, node, b.Name, transB == 0, -1);
            return;
        }

        if (ct is not null && ct.DataType == DataType.Float && IsPerColumn(ct.Dims, n))
        {
            var values = ct.ToFloats();
            var bias = Enumerable.Range(0, n).Select(j => beta * values[values.Length == 1 ? 0 : j]).ToArray();
            EmitDense(c, node, b.Name, transB == 0, c.Floats($"{cName}#bias{n}x{beta}", cName, bias));
            return;
        }

        if (beta != 1f)
        {
            throw new UnsupportedNodeException("beta ≠ 1 on a C that is not a per-column bias");
        }

        // y = A·B then y + C, broadcast by C's shape.
        var weight = c.Matrix(b.Name, transB == 0);
        var x = c.Read(node.Inputs[0]);
        var p = c.WriteTemp(node.Outputs[0] + "/A·B", Runtime.Execution.TensorType.Float32);
        c.Emit(new DenseOp(x, p, weight, -1, Activation.None));
        var cv = c.Read(cName);
        c.ReadId(p);
        var (output, act) = c.FuseRelu(node);
        var y = c.Write(output);
        c.Emit(new BinaryOp(p, cv, y, BinaryFunction.Add));
        if (act == Activation.Relu)
        {
            c.Emit(new UnaryOp(c.ReadId(y), y, UnaryFunction.Relu, 0f, 0f));
        }
    }

    private static bool IsPerColumn(long[] dims, int n) => dims switch
    {
        [] => true,
        [var d] => d == n || d == 1,
        [1, var d] => d == n || d == 1,
        _ => false,
    };

    private static void EmitDense(LoweringContext c, Node node, string weightName, bool transposed, int bias)
    {
        var weight = c.Matrix(weightName, transposed);
        var x = c.Read(node.Inputs[0]);
        var (output, act) = c.FuseRelu(node);
        var y = c.Write(output);
        c.Emit(new DenseOp(x, y, weight, bias, act));
    }
}
