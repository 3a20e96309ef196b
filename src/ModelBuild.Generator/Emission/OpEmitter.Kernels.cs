using System;
using System.Collections.Generic;
using ModelBuild.Generator.Model;
using static ModelBuild.Generator.Emission.Format;

namespace ModelBuild.Generator.Emission;

internal sealed partial class OpEmitter
{
    /// <summary>One emitter per op kind; the parser's table and this one list the same kinds.</summary>
    private static readonly Dictionary<string, Action<OpEmitter, SourceWriter, OpSpec, int>> s_handlers = new()
    {
        ["Dense"] = (e, w, op, _) => w.Line(Kernels + "Dense(b" + op["in"] + ", " + e.WeightMatrix(op["weight"]) + ", " + e.WeightFloats(op["bias"])
            + ", b" + op["out"] + ", " + TimesBatch(op.Int("rows")) + ", " + Act(op) + ");"),
        ["Conv"] = (e, w, op, i) => w.Line(Kernels + "Conv2D(b" + op["in"] + ", " + e.WeightMatrix(op["weight"]) + ", " + e.WeightFloats(op["bias"])
            + ", b" + op["out"] + ", scratch, in Conv" + I(i) + ", batch, " + Act(op) + ");"),
        ["MaxPool"] = (_, w, op, i) => w.Line(Kernels + "MaxPool2D(b" + op["in"] + ", b" + op["out"] + ", in Pool" + I(i) + ", batch);"),
        ["AveragePool"] = (_, w, op, i) => w.Line(Kernels + "AveragePool2D(b" + op["in"] + ", b" + op["out"] + ", in Pool" + I(i) + ", batch, "
            + "/* countIncludePad */ " + (op["countIncludePad"] == "1" ? "true" : "false") + ");"),
        ["GlobalAveragePool"] = (_, w, op, _) => w.Line(Kernels + "GlobalAveragePool(b" + op["in"] + ", b" + op["out"] + ", " + TimesBatch(op.Int("c")) + ", " + op["hw"] + ");"),
        ["Unary"] = (_, w, op, _) => w.Line(Kernels + "Unary(" + Rt + "UnaryFunction." + op["fn"] + ", b" + op["in"] + ", b" + op["out"]
            + ", " + Float(op["alpha"]) + ", " + Float(op["beta"]) + ");"),
        ["Binary"] = (e, w, op, i) => w.Line(Kernels + "Binary(" + Rt + "BinaryFunction." + op["fn"] + ", "
            + e.Operand(op["a"]) + ", ShapeA" + I(i) + ", " + Batched(op["a"]) + ", "
            + e.Operand(op["b"]) + ", ShapeB" + I(i) + ", " + Batched(op["b"]) + ", b" + op["out"] + ", ShapeOut" + I(i) + ", batch);"),
        ["Softmax"] = (_, w, op, _) => w.Line(Kernels + "Softmax(b" + op["in"] + ", b" + op["out"] + ", " + TimesBatch(op.Int("outer")) + ", " + op["axis"] + ", " + op["inner"] + ");"),
        ["Transpose"] = (_, w, op, i) => w.Line(Kernels + "Transpose(b" + op["in"] + ", b" + op["out"] + ", Shape" + I(i) + ", Perm" + I(i) + ", batch);"),
        ["Concat"] = (_, w, op, _) => EmitConcat(w, op),
        ["Copy"] = (_, w, op, _) => w.Line("b" + op["in"] + ".Slice(0, " + TimesBatch(op.Int("count")) + ").CopyTo(b" + op["out"] + ");"),
        ["ChannelAffine"] = (e, w, op, _) => w.Line(Kernels + "ChannelAffine(b" + op["in"] + ", b" + op["out"] + ", " + e.WeightFloats(op["scale"])
            + ", " + e.WeightFloats(op["bias"]) + ", " + op["c"] + ", " + op["hw"] + ", batch);"),
    };

    /// <summary>A short description of the layer after the <c>// Kind node</c> comment, like onnx2c prints attributes.</summary>
    private string Describe(OpSpec op) => op.Kind switch
    {
        "Dense" => ": " + op["k"] + "→" + op["n"] + WeightNote(op["weight"]) + ActNote(op),
        "Conv" => ": " + op["kh"] + "x" + op["kw"] + ", " + op["c"] + "→" + op["oc"] + " channels, " + op["h"] + "x" + op["w"] + "→" + op["oh"] + "x" + op["ow"]
            + ", stride " + op["sh"] + (op["group"] == "1" ? "" : ", " + op["group"] + " groups") + WeightNote(op["weight"]) + ActNote(op),
        "MaxPool" or "AveragePool" => ": " + op["kh"] + "x" + op["kw"] + ", stride " + op["sh"] + ", " + op["h"] + "x" + op["w"] + "→" + op["oh"] + "x" + op["ow"],
        "Unary" => ": " + op["fn"] + (op["fn"] switch
        {
            "LeakyRelu" => "(alpha " + op["alpha"] + ")",
            "Clip" => "(" + op["alpha"] + ", " + op["beta"] + ")",
            "HardSigmoid" => "(alpha " + op["alpha"] + ", beta " + op["beta"] + ")",
            _ => "",
        }),
        "Binary" => ": " + op["fn"],
        "Softmax" => ": over " + op["axis"] + " values",
        "Transpose" => ": perm " + op["perm"],
        _ => "",
    };

    private static string Act(OpSpec op) => op["act"] == "relu" ? Rt + "Activation.Relu" : Rt + "Activation.None";

    private static string ActNote(OpSpec op) => op["act"] == "relu" ? ", relu" : "";

    private static string Batched(string operand) => operand[0] == 'b' ? "true" : "false";

    private static void EmitConcat(SourceWriter w, OpSpec op)
    {
        // Output block o is the inputs' blocks o one after another (CONTRACTS §1); the batch multiplies the blocks.
        var inputs = op.Ints("ins");
        var sizes = op.Ints("sizes");
        var inner = op.Int("inner");
        var total = 0;
        foreach (var s in sizes)
        {
            total += s * inner;
        }

        w.Open("for (var block = 0; block < " + TimesBatch(op.Int("outer")) + "; block++)");
        var offset = 0;
        for (var j = 0; j < inputs.Length; j++)
        {
            var size = sizes[j] * inner;
            w.Line("b" + I(inputs[j]) + ".Slice(block * " + I(size) + ", " + I(size) + ").CopyTo(b" + op["out"] + ".Slice((block * " + I(total) + ")"
                + (offset == 0 ? "" : " + " + I(offset)) + ", " + I(size) + "));");
            offset += size;
        }

        w.Close();
    }

    private string WeightNote(string index)
    {
        foreach (var weight in spec.Weights)
        {
            if (I(weight.Index) == index)
            {
                return ", " + weight.Format;
            }
        }

        return "";
    }

    private string Operand(string operand) =>
        operand[0] == 'b' ? operand : WeightFloats(operand.Substring(1));
}
