using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX Gemm (transA = 0, alpha = 1) and MatMul with a constant 2-D right operand → <see cref="DenseOp"/> (the fast
/// path over a packed weight matrix); a MatMul's following Add of a per-column constant becomes its bias
/// (<see cref="FoldBiasAdd"/>). Gemm's C becomes the Dense bias when it is one value per output column (shape
/// [N], [1, N], [1] or scalar); any other shape ([M, 1], [M, N], computed) is added by a broadcasting
/// <see cref="BinaryOp"/> after the product, by its shape. Every other MatMul (two activations, a constant left
/// operand, a constant right operand of rank ≠ 2) → <see cref="MatMulOp"/>; every other Gemm (transA, alpha or beta
/// left on computed operands, a computed B) → <see cref="GemmOp"/>.
/// </summary>
internal sealed class DenseLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Gemm", "MatMul"];

    public void Lower(LoweringContext c, Node node)
    {
        foreach (var operand in node.Inputs.Take(2).Select(c.Constant).OfType<Tensor>())
        {
            c.RequireFloat(operand); // MB1007 for a weight that is not a number at all, a refusal for integer weights
        }

        if (node.Inputs.Take(2).Any(i => c.TensorTypeOf(i) != TensorType.Float32))
        {
            throw new UnsupportedNodeException("the operands are not float tensors");
        }

        var b = c.Constant(node.InputOrNull(1) ?? "");
        if (node.OpType == "MatMul")
        {
            if (b is { Dims.Length: 2 })
            {
                var (tail, bias) = FoldBiasAdd(c, node, checked((int)b.Dims[1]));
                EmitDense(c, node, b.Name, transposed: true, bias, tail);
            }
            else
            {
                int a = c.Read(node.Inputs[0]), bv = c.Read(node.Inputs[1]);
                c.Emit(new MatMulOp(a, bv, c.Write(node.Outputs[0])));
            }

            return;
        }

        var transA = node.GetInt("transA", 0);
        var transB = node.GetInt("transB", 0);
        if (transA is not (0 or 1) || transB is not (0 or 1))
        {
            throw new UnsupportedNodeException($"transA = {transA}, transB = {transB} (0 or 1 expected)");
        }

        var beta = node.GetFloat("beta", 1f);
        var cName = node.InputOrNull(2);
        var ct = cName is null ? null : c.Constant(cName);
        var perColumn = ct is not null && ct.DataType == DataType.Float;
        if (b is not { Dims.Length: 2 } || transA != 0 || node.GetFloat("alpha", 1f) != 1f
            || (cName is not null && beta != 0f && beta != 1f && !(perColumn && IsPerColumn(ct!.Dims, (int)(transB == 0 ? b.Dims[1] : b.Dims[0])))))
        {
            EmitGemm(c, node, transA != 0, transB != 0, beta);
            return;
        }

        var n = (int)(transB == 0 ? b.Dims[1] : b.Dims[0]);
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

        // y = A·B then y + C, broadcast by C's shape.
        var weight = c.Matrix(b.Name, transB == 0);
        var x = c.Read(node.Inputs[0]);
        var p = c.WriteTemp(node.Outputs[0] + "/A·B", TensorType.Float32);
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

    /// <summary>The general form: <c>alpha · A' · B' + beta · C</c> with both products computed per call.</summary>
    private static void EmitGemm(LoweringContext c, Node node, bool transA, bool transB, float beta)
    {
        int a = c.Read(node.Inputs[0]), b = c.Read(node.Inputs[1]);
        var cv = node.InputOrNull(2) is { } cName && beta != 0f ? c.Read(cName) : -1;
        c.Emit(new GemmOp(a, b, cv, c.Write(node.Outputs[0]), transA, transB, node.GetFloat("alpha", 1f), beta));
    }

    private static bool IsPerColumn(long[] dims, int n) => dims switch
    {
        [] => true,
        [var d] => d == n || d == 1,
        [1, var d] => d == n || d == 1,
        _ => false,
    };

    /// <summary>
    /// <c>MatMul(x, const B[K, N]) → Add(const)</c> whose constant adds one value per output column (shape [N], [1],
    /// [1, …, 1, N] or a scalar, of rank at most x's, so the sum keeps the MatMul's shape): the constant becomes the
    /// Dense bias and the Add is marked fused, as Gemm's C does (the graph pass <c>FuseBiasAddPass</c> takes only a
    /// 2-D x, the Gemm form; paddle2onnx's OCR heads multiply [batch, time, C] by [C, classes] and then add the
    /// classes' bias). Not for an Add with opset-6 broadcasting along an axis. Saves the Add's pass and its output buffer (ppocr_rec: 1 MiB per 40 time steps). Returns the
    /// node whose output the Dense writes and the bias entry, or (MatMul, −1) when the pattern does not apply.
    /// </summary>
    private static (Node Tail, int Bias) FoldBiasAdd(LoweringContext c, Node matMul, int n)
    {
        var output = matMul.Outputs[0];
        if (c.Graph.IsGraphOutput(output) || c.Graph.Consumers(output) is not [{ OpType: "Add", IsDefaultDomain: true, Inputs.Count: 2 } add]
            || add.Inputs[0] == add.Inputs[1] || c.TensorTypeOf(output) != TensorType.Float32 || c.IsFused(add)
            || (add.GetInt("broadcast", 0) != 0 && add.Attribute("axis") is not null))
        {
            // Before opset 7 an Add with broadcast = 1 and an axis aligns its constant at that axis, not at the last
            // (BinaryLowering.RequireNumpyBroadcasting refuses it); found in review.
            return (matMul, -1);
        }

        var other = add.Inputs[0] == output ? add.Inputs[1] : add.Inputs[0];
        var dims = c.Constant(other) is { DataType: DataType.Float } constant ? constant.Dims : null;
        int xRank = c.Graph.GetValueInfo(matMul.Inputs[0])?.Shape?.Rank ?? 0;
        bool perColumn = dims is not null && (dims.Length == 0 || dims[^1] == n || dims[^1] == 1) && dims[..^Math.Min(1, dims.Length)].All(d => d == 1);
        if (!perColumn || (dims!.Length > 1 && dims.Length > xRank))
        {
            return (matMul, -1);
        }

        var values = c.Constant(other)!.ToFloats();
        var bias = Enumerable.Range(0, n).Select(j => values[values.Length == 1 ? 0 : j]).ToArray();
        c.MarkFused(add);
        return (add, c.Floats($"{other}#bias{n}", other, bias));
    }

    private static void EmitDense(LoweringContext c, Node node, string weightName, bool transposed, int bias, Node? tail = null)
    {
        var weight = c.Matrix(weightName, transposed);
        var x = c.Read(node.Inputs[0]);
        // The fused ops' last node (a bias Add, FoldBiasAdd) names the output and may have a Relu after it.
        var (output, act) = c.FuseRelu(tail ?? node);
        var y = c.Write(output);
        if (c.ActivationQuant.TryGetValue(weightName, out var q) && Passes.Activations.ActivationQuantization.Applies(c.StoredOf(weightName)))
        {
            // 8-bit activations (the quantize-activations pass); CompressedOnnx writes the same maths as MatMulInteger.
            c.Emit(new QuantizedDenseOp(x, y, weight, bias, act, q.Scale, q.ZeroPoint));
            return;
        }

        c.Emit(new DenseOp(x, y, weight, bias, act));
    }
}
