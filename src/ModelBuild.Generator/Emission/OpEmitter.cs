using System;
using System.Collections.Generic;
using ModelBuild.Generator.Model;
using static ModelBuild.Generator.Emission.Format;

namespace ModelBuild.Generator.Emission;

/// <summary>
/// Emits the kernel sequence of a plan: shape constants, the <c>Execute</c> method and which weights it needs.
/// Each op kind has one handler in a lookup table (see <c>OpEmitter.Kernels.cs</c>).
/// </summary>
internal sealed partial class OpEmitter(PredictorSpec spec)
{
    public const int AsMatrix = 1;
    public const int AsFloats = 2;

    private const string Rt = "global::ModelBuild.Runtime.";
    private const string Kernels = Rt + "Kernels.";

    /// <summary>For each weight index, whether the code reads it as a <c>WeightMatrix</c>, a <c>float[]</c> or both.</summary>
    public static Dictionary<int, int> WeightUses(PredictorSpec spec)
    {
        var uses = new Dictionary<int, int>();
        void Use(string value, int how)
        {
            var index = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            if (index >= 0)
            {
                uses[index] = (uses.TryGetValue(index, out var old) ? old : 0) | how;
            }
        }

        foreach (var op in spec.Ops)
        {
            switch (op.Kind)
            {
                case "Dense" or "Conv":
                    Use(op["weight"], AsMatrix);
                    Use(op["bias"], AsFloats);
                    break;
                case "ChannelAffine":
                    Use(op["scale"], AsFloats);
                    Use(op["bias"], AsFloats);
                    break;
                case "Binary":
                    foreach (var operand in new[] { op["a"], op["b"] })
                    {
                        if (operand[0] == 'w')
                        {
                            Use(operand.Substring(1), AsFloats);
                        }
                    }

                    break;
            }
        }

        return uses;
    }

    public void EmitShapes(SourceWriter w)
    {
        for (var i = 0; i < spec.Ops.Count; i++)
        {
            var op = spec.Ops[i];
            switch (op.Kind)
            {
                case "Conv":
                    // Positional in the contract's parameter order (CONTRACTS §3, Conv2DShape).
                    w.Line("/// <summary>Conv <c>" + Xml(op.Node) + "</c>.</summary>");
                    w.Line("internal static readonly " + Rt + "Conv2DShape Conv" + I(i) + " = new("
                        + Args(op, "c", "h", "w", "oc", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pl", "pb", "pr", "group") + ");");
                    w.Line();
                    break;
                case "MaxPool" or "AveragePool":
                    w.Line("/// <summary>" + op.Kind + " <c>" + Xml(op.Node) + "</c>.</summary>");
                    w.Line("internal static readonly " + Rt + "Pool2DShape Pool" + I(i) + " = new("
                        + Args(op, "c", "h", "w", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pl", "pb", "pr") + ");");
                    w.Line();
                    break;
                case "Binary":
                    // Span properties over constant data: the compiler keeps these in the assembly image, no allocation.
                    w.Line("internal static global::System.ReadOnlySpan<int> ShapeA" + I(i) + " => " + IntList(op.Ints("shapeA")) + ";");
                    w.Line("internal static global::System.ReadOnlySpan<int> ShapeB" + I(i) + " => " + IntList(op.Ints("shapeB")) + ";");
                    w.Line("internal static global::System.ReadOnlySpan<int> ShapeOut" + I(i) + " => " + IntList(op.Ints("shapeOut")) + ";");
                    w.Line();
                    break;
                case "Transpose":
                    w.Line("internal static global::System.ReadOnlySpan<int> Shape" + I(i) + " => " + IntList(op.Ints("shape")) + ";");
                    w.Line("internal static global::System.ReadOnlySpan<int> Perm" + I(i) + " => " + IntList(op.Ints("perm")) + ";");
                    w.Line();
                    break;
            }
        }
    }

    /// <summary>
    /// The plan's scratch size, raised to what each Conv asks the runtime for: the two are computed by different
    /// projects, and a too-small scratch would only show up as an exception at run time.
    /// </summary>
    public string ScratchExpression()
    {
        var expression = I(spec.ArenaScratch);
        for (var i = 0; i < spec.Ops.Count; i++)
        {
            if (spec.Ops[i].Kind == "Conv")
            {
                expression = "global::System.Math.Max(" + expression + ", " + Kernels + "Conv2DScratch(in Conv" + I(i) + "))";
            }
        }

        return expression;
    }

    public void EmitExecute(SourceWriter w)
    {
        var parameters = new List<string>();
        foreach (var t in spec.Inputs)
        {
            parameters.Add("global::System.ReadOnlySpan<float> in" + I(t.Index));
        }

        foreach (var t in spec.Outputs)
        {
            parameters.Add("global::System.Span<float> out" + I(t.Index));
        }

        w.Line("/// <summary>The model body for <paramref name=\"batch\"/> samples: one kernel call per layer, all activations in one rented arena.</summary>");
        w.Open("private static void Execute(" + string.Join(", ", parameters) + ", int batch)");
        w.Line("var arena = " + Rt + "BufferArena.Rent(checked((ArenaPerSample * batch) + Scratch));");
        if (HasConv())
        {
            w.Line("var scratch = arena.Slice(ArenaPerSample * batch, Scratch);");
        }

        foreach (var b in spec.Buffers)
        {
            w.Line("var b" + I(b.Id) + " = arena.Slice(" + TimesBatch(b.Offset) + ", " + TimesBatch(b.Size) + ");");
        }

        w.Line();
        foreach (var t in spec.Inputs)
        {
            w.Line("in" + I(t.Index) + ".CopyTo(b" + I(t.Buffer) + ");");
        }

        for (var i = 0; i < spec.Ops.Count; i++)
        {
            var op = spec.Ops[i];
            w.Line();
            w.Line("// " + op.Kind + " " + OneLine(op.Node) + Describe(op));
            s_handlers[op.Kind](this, w, op, i);
        }

        w.Line();
        foreach (var t in spec.Outputs)
        {
            w.Line("b" + I(t.Buffer) + ".CopyTo(out" + I(t.Index) + ");");
        }

        w.Close();
    }

    private bool HasConv()
    {
        foreach (var op in spec.Ops)
        {
            if (op.Kind == "Conv")
            {
                return true;
            }
        }

        return false;
    }

    private static string Args(OpSpec op, params string[] keys) => string.Join(", ", Array.ConvertAll(keys, k => op[k]));

    private string WeightMatrix(string index) => spec.ClassName + "Weights.W" + index;

    private string WeightFloats(string index) => index == "-1" ? "default" : spec.ClassName + "Weights.F" + index;
}
