using System.Collections.Generic;
using ModelBuild.Generator.Model;
using ModelBuild.Generator.Parsing;
using static ModelBuild.Generator.Emission.Format;

namespace ModelBuild.Generator.Emission;

internal static partial class PredictorEmitter
{
    /// <summary>
    /// The program class: tensors, the operator records (an op table with one named-argument constructor call per
    /// operator form, so the compiler checks every key and type against ModelBuild.Runtime), the lazily loaded blob
    /// and the per-thread context.
    /// </summary>
    private static void EmitProgramClass(SourceWriter w, PredictorSpec spec)
    {
        var type = (spec.Namespace.Length > 0 ? "global::" + spec.Namespace + "." : "global::") + spec.ClassName;
        w.Line();
        w.Line("/// <summary>The operator program of <see cref=\"" + spec.ClassName + "\"/>, run by " + (RunsInOnnxRuntime(spec) ? "ONNX Runtime" : "ModelBuild.Runtime's kernels") + ".</summary>");
        w.Open("file static class " + spec.ClassName + "Program");
        var inputs = new List<string>();
        foreach (var t in spec.Inputs)
        {
            inputs.Add(I(t.Value));
        }

        var outputs = new List<string>();
        foreach (var t in spec.Outputs)
        {
            outputs.Add(I(t.Value));
        }

        w.Line("/// <summary>The program; the weights blob <c>" + Xml(spec.Resource) + "</c> is read on first use.</summary>");
        w.Line("internal static readonly " + Ex + "ModelProgram Program = new(Values(), Ops(), [" + string.Join(", ", inputs) + "], [" + string.Join(", ", outputs) + "],");
        w.Line("    () => " + Rt + "WeightBlob.FromResource(typeof(" + type + ").Assembly, " + Literal(spec.Resource) + "));");
        w.Line();
        w.Line("[global::System.ThreadStatic]");
        w.Line("private static " + Ex + "OpContext? t_context;");
        w.Line();
        w.Line("/// <summary>This thread's context: shapes and activation buffers, reused across calls.</summary>");
        w.Line("internal static " + Ex + "OpContext Context => t_context ??= new " + Ex + "OpContext(Program);");
        w.Line();
        if (spec.Inputs.Count == 1 && spec.Outputs.Count == 1)
        {
            // Only the single-input API runs through here; multi-input Predict sets every input itself.
            var input = spec.Inputs[0];
            w.Line("/// <summary>Checks and sets the input, runs every operator and returns the context holding the output.</summary>");
            w.Open("internal static " + Ex + "OpContext Run<T>(global::System.ReadOnlySpan<T> input, global::System.ReadOnlySpan<int> shape) where T : unmanaged");
            w.Line(Ex + "Predictors.CheckShape(shape, " + ShapeValues(input) + ", " + Literal(input.Name) + ", nameof(shape));");
            w.Line("var context = Context;");
            w.Line(Ex + "Predictors.Run(Program, context, " + I(input.Value) + ", input, shape);");
            w.Line("return context;");
            w.Close();
            w.Line();
        }
        EmitValues(w, spec);
        w.Line();
        EmitOps(w, spec);
        w.Close();
    }

    private static void EmitValues(SourceWriter w, PredictorSpec spec)
    {
        // One string of names and one span of static data (ValueDecl.Table) instead of a call per value: this method is
        // JIT-compiled in every process's first prediction, and its size is what that costs. The comments keep it readable.
        w.Open("private static " + Ex + "ValueDecl[] Values()");
        var names = new System.Text.StringBuilder();
        var fields = new List<string>();
        var inline = new List<string>();
        foreach (var v in spec.Values)
        {
            var shape = v.Slot >= 0 && v.Shape.Length > 0 ? " [" + OneLine(v.Shape) + "]" : "";
            var dims = v.Dims;
            string kind, index, what;
            if (v.Slot >= 0)
            {
                (kind, index, what) = ("0", I(v.Slot), "activation " + v.Type + ", slot " + I(v.Slot));
            }
            else if (v.Blob >= 0)
            {
                (kind, index, what) = ("1", I(v.Blob), "blob entry " + I(v.Blob) + ", dims [" + Join(v.Dims, ",") + "]");
            }
            else
            {
                (kind, index, what) = ("2", "-1", "inline " + v.Type + ", dims [" + Join(v.Dims, ",") + "]");
                inline.Add("values[" + I(v.Id) + "] = " + InlineDecl(v));
            }

            w.Line("// " + I(v.Id) + ": " + OneLine(v.Name) + ": " + what + shape);
            names.Append(v.Name);
            fields.Add(kind + ", " + TensorTypeCode(v.Type) + ", " + index + ", " + I(v.Name.Length) + ", " + I(dims.Count) + (dims.Count > 0 ? ", " + Join(dims, ", ") : ""));
        }

        w.Line("var values = " + Ex + "ValueDecl.Table(");
        w.Line("    " + Literal(names.ToString()) + ",");
        w.Line("    [");
        foreach (var f in fields)
        {
            w.Line("        " + f + ",");
        }

        w.Line("    ],");
        w.Line("    " + I(spec.Values.Count) + ");");
        foreach (var line in inline)
        {
            w.Line(line);
        }

        w.Line("return values;");
        w.Close();
    }

    /// <summary>An inline constant's declaration (its data is too varied for the table).</summary>
    private static string InlineDecl(ValueSpec v) => v.Type == "float32"
        ? Ex + "ValueDecl.Inline(" + Literal(v.Name) + ", (float[])" + OpTokens.ToCSharp(v.Data, false) + ", [" + Join(v.Dims, ", ") + "]);"
        : Ex + "ValueDecl.Inline(" + Literal(v.Name) + ", " + TensorType(v.Type) + ", (long[])" + OpTokens.ToCSharp(v.Data, false) + ", [" + Join(v.Dims, ", ") + "]);";

    private static string Join(EquatableArray<int> values, string separator)
    {
        var text = new List<string>();
        foreach (var d in values)
        {
            text.Add(I(d));
        }

        return string.Join(separator, text);
    }

    /// <summary>ModelBuild.Runtime's <c>TensorType</c> value of a plan type (the table holds it as an int; the runtime checks it).</summary>
    private static string TensorTypeCode(string type) => type switch
    {
        "int64" => "1",
        "bool" => "2",
        _ => "0",
    };

    /// <summary>A short note after the layer comment: the weight's format and the output's build-time shape.</summary>
    private static string Describe(PredictorSpec spec, OpSpec op)
    {
        var note = "";
        foreach (var a in op.Args)
        {
            if (a.Key == "Weight" && int.TryParse(a.Value, out var entry) && entry >= 0 && entry < spec.Weights.Count)
            {
                note += ", " + spec.Weights[entry].Format + " weights";
            }

            if (a.Key == "Y" && int.TryParse(a.Value, out var y) && y >= 0 && y < spec.Values.Count && spec.Values[y].Shape.Length > 0)
            {
                note += " → [" + OneLine(spec.Values[y].Shape) + "]";
            }
        }

        return note;
    }

    private static string TensorType(string type) => Ex + "TensorType." + type switch
    {
        "int64" => "Int64",
        "bool" => "Bool",
        _ => "Float32",
    };
}
