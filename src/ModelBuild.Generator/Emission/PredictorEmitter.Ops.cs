using System.Collections.Generic;
using ModelBuild.Generator.Model;
using static ModelBuild.Generator.Emission.Format;

namespace ModelBuild.Generator.Emission;

internal static partial class PredictorEmitter
{
    /// <summary>
    /// The operators as ModelBuild.Runtime's <c>OpTable</c>: a string, a span of static data with a commented line per
    /// operator, a span of float literals, and one constructor call with named arguments per operator form. A
    /// constructor call per operator made <c>Ops()</c> ≈ 10 KB of IL on a 189-operator model, JIT-compiled in every
    /// process's first prediction (≈ 10 ms, a sixth of ppocr_det's cold start, issue 12); the forms keep the compiler's
    /// check of every key and type.
    /// </summary>
    private static void EmitOps(SourceWriter w, PredictorSpec spec)
    {
        var encoder = new OpTableEncoder();
        var rows = new List<(string Comment, List<string> Words)>();
        for (var i = 0; i < spec.Ops.Count; i++)
        {
            var op = spec.Ops[i];
            var args = new List<string>();
            foreach (var a in op.Args)
            {
                args.Add(a.Key + "=" + a.Value);
            }

            var comment = "// Layer " + I(i) + ": " + op.Kind + " " + OneLine(op.Node) + Describe(spec, op);
            rows.Add((comment + (args.Count > 0 ? "; " + OneLine(string.Join(" ", args)) : ""), encoder.Encode(op)));
        }

        w.Line("private static " + Ex + "Op[] Ops() => " + Ex + "OpTable.Read(OpStrings, OpCodes, OpFloats, " + I(spec.Ops.Count) + ", CreateOp);");
        w.Line();
        w.Line("/// <summary>Node names and string arguments of <see cref=\"OpCodes\"/>.</summary>");
        EmitStringConstant(w, "private const string OpStrings =", encoder.Strings);
        w.Line();
        w.Line("/// <summary>Per operator: form, node name (offset, length), argument count, then each argument's tag and value.</summary>");
        w.Line("private static global::System.ReadOnlySpan<int> OpCodes =>");
        w.Line("[");
        foreach (var (comment, words) in rows)
        {
            w.Line("    " + comment);
            w.Line("    " + string.Join(", ", words) + ",");
        }

        w.Line("];");
        w.Line();
        w.Line("/// <summary>The float arguments of <see cref=\"OpCodes\"/>, by index.</summary>");
        w.Line("private static global::System.ReadOnlySpan<float> OpFloats => [" + string.Join(", ", encoder.Floats) + "];");
        w.Line();
        w.Line("/// <summary>One constructor call per operator kind and argument list in <see cref=\"OpCodes\"/>.</summary>");
        w.Line("private static " + Ex + "Op CreateOp(int form, ref " + Ex + "OpArgs a) => form switch");
        w.Line("{");
        for (var f = 0; f < encoder.Forms.Count; f++)
        {
            var (kind, args) = encoder.Forms[f];
            var named = new List<string>();
            foreach (var (key, reader) in args)
            {
                named.Add(key + ": " + reader);
            }

            w.Line("    " + I(f) + " => new global::ModelBuild.Runtime.Ops." + kind + "Op(" + string.Join(", ", named) + ") { Node = a.Node },");
        }

        w.Line("    _ => throw " + Ex + "OpTable.UnknownForm(form),");
        w.Line("};");
    }

    /// <summary>A string constant split into lines of about 100 characters (a compile-time concatenation).</summary>
    private static void EmitStringConstant(SourceWriter w, string declaration, string value)
    {
        const int Chunk = 100;
        if (value.Length <= Chunk)
        {
            w.Line(declaration + " " + Literal(value) + ";");
            return;
        }

        // Never between the two halves of a surrogate pair: a lone half has no UTF-8 form in the generated file.
        w.Line(declaration);
        var at = 0;
        while (at < value.Length)
        {
            var length = System.Math.Min(Chunk, value.Length - at);
            if (at + length < value.Length && char.IsHighSurrogate(value[at + length - 1]))
            {
                length--;
            }

            w.Line("    " + Literal(value.Substring(at, length)) + (at + length < value.Length ? " +" : ";"));
            at += length;
        }
    }
}
