using System.Collections.Generic;
using ModelBuild.Generator.Model;
using static ModelBuild.Generator.Emission.Format;

namespace ModelBuild.Generator.Emission;

internal static partial class PredictorEmitter
{
    private const string Span = "global::System.Span<float>";
    private const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    private static void EmitPlanClass(SourceWriter w, PredictorSpec spec)
    {
        var ops = new OpEmitter(spec);
        w.Line();
        w.Line("/// <summary>Layer shapes, argument checks and the kernel sequence of <see cref=\"" + spec.ClassName + "\"/>.</summary>");
        w.Open("file static class " + spec.ClassName + "Plan");
        w.Line("/// <summary>Floats per sample in the arena (all activation buffers).</summary>");
        w.Line("internal const int ArenaPerSample = " + I(spec.ArenaPerSample) + ";");
        w.Line();
        ops.EmitShapes(w);
        w.Line("/// <summary>Scratch floats after the per-sample buffers: the plan's figure, or more if a kernel asks for it.</summary>");
        w.Line("internal static readonly int Scratch = " + ops.ScratchExpression() + ";");
        w.Line();
        EmitChecks(w, spec);
        EmitRun(w, spec);
        w.Line();
        ops.EmitExecute(w);
        w.Close();
    }

    private static void EmitChecks(SourceWriter w, PredictorSpec spec)
    {
        var fixedBatch = spec.Batch.IsDynamic ? 1 : spec.Batch.FixedSize;
        var unit = fixedBatch == 1 ? "" : " in whole batches of " + I(fixedBatch);
        w.Open("internal static int BatchOf(int length, int perSample, string parameter, string shape)");
        w.Open("if (length <= 0 || length % " + (fixedBatch == 1 ? "perSample" : "(perSample * " + I(fixedBatch) + ")") + " != 0)");
        w.Line("throw new " + ArgEx + "(\"Expected \" + shape + \": a positive multiple of \" + perSample + \" floats" + unit + ", got \" + length + \".\", parameter);");
        w.Close();
        w.Line();
        w.Line("return length / perSample;");
        w.Close();
        w.Line();
        w.Open("internal static void CheckBatch(int batchSize)");
        w.Open("if (batchSize <= 0" + (fixedBatch == 1 ? "" : " || batchSize % " + I(fixedBatch) + " != 0") + ")");
        w.Line("throw new global::System.ArgumentOutOfRangeException(nameof(batchSize), batchSize, \"The batch size must be "
            + (fixedBatch == 1 ? "at least 1" : "a positive multiple of " + I(fixedBatch) + ", the model's fixed batch") + ".\");");
        w.Close();
        w.Close();
        w.Line();
        w.Open("internal static void CheckLength(int length, int batchSize, int perSample, string parameter, string shape)");
        w.Open("if (length != (long)batchSize * perSample)");
        w.Line("throw new " + ArgEx + "(\"Expected \" + shape + \" for \" + batchSize + \" samples: \" + ((long)batchSize * perSample) + \" floats, got \" + length + \".\", parameter);");
        w.Close();
        w.Close();
        w.Line();
    }

    private static void EmitRun(SourceWriter w, PredictorSpec spec)
    {
        var parameters = new List<string>();
        var args = new List<string>();
        var slices = new List<string>();
        foreach (var t in spec.Inputs)
        {
            parameters.Add(ReadOnlySpan + " in" + I(t.Index));
            args.Add("in" + I(t.Index));
            slices.Add("in" + I(t.Index) + ".Slice(start * " + I(t.ElementsPerSample) + ", " + I(spec.Batch.FixedSize * t.ElementsPerSample) + ")");
        }

        foreach (var t in spec.Outputs)
        {
            parameters.Add(Span + " out" + I(t.Index));
            args.Add("out" + I(t.Index));
            slices.Add("out" + I(t.Index) + ".Slice(start * " + I(t.ElementsPerSample) + ", " + I(spec.Batch.FixedSize * t.ElementsPerSample) + ")");
        }

        w.Line("/// <summary>Runs validated arguments" + (spec.Batch.IsDynamic ? "" : ", a fixed batch at a time") + ".</summary>");
        w.Open("internal static void Run(" + string.Join(", ", parameters) + ", int batch)");
        if (spec.Batch.IsDynamic)
        {
            w.Line("Execute(" + string.Join(", ", args) + ", batch);");
        }
        else
        {
            w.Open("for (var start = 0; start < batch; start += " + I(spec.Batch.FixedSize) + ")");
            w.Line("Execute(" + string.Join(", ", slices) + ", " + I(spec.Batch.FixedSize) + ");");
            w.Close();
        }

        w.Close();
    }

    private static void EmitWeightsClass(SourceWriter w, PredictorSpec spec)
    {
        var used = OpEmitter.WeightUses(spec);
        var name = spec.ClassName + "Weights";
        var type = (spec.Namespace.Length > 0 ? "global::" + spec.Namespace + "." : "global::") + spec.ClassName;
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The weights of <see cref=\"" + spec.ClassName + "\"/>, decoded from the embedded resource <c>" + Xml(spec.Resource) + "</c>.");
        w.Line("/// The CLR runs the type initialiser once, thread-safely, on first access: that makes loading lazy and shared.");
        w.Line("/// </summary>");
        w.Open("file static class " + name);
        w.Line("private static readonly " + Rt + "WeightBlob s_blob =");
        w.Line("    " + Rt + "WeightBlob.FromResource(typeof(" + type + ").Assembly, " + Literal(spec.Resource) + ");");
        foreach (var weight in spec.Weights)
        {
            if (!used.TryGetValue(weight.Index, out var use))
            {
                continue;
            }

            var dims = new List<string>();
            foreach (var d in weight.Dims)
            {
                dims.Add(I(d));
            }

            w.Line();
            w.Line("/// <summary><c>" + Xml(weight.Name) + "</c>: " + Xml(weight.Format) + " [" + string.Join(", ", dims) + "].</summary>");
            if ((use & OpEmitter.AsMatrix) != 0)
            {
                w.Line("internal static readonly " + Rt + "WeightMatrix W" + I(weight.Index) + " = s_blob.Matrix(" + I(weight.Index) + ");");
            }

            if ((use & OpEmitter.AsFloats) != 0)
            {
                w.Line("internal static readonly float[] F" + I(weight.Index) + " = s_blob.Floats(" + I(weight.Index) + ");");
            }
        }

        w.Line();
        w.Line("// An explicit static constructor removes beforefieldinit, so the blob is read on first use and not earlier.");
        w.Open("static " + name + "()");
        w.Close();
        w.Close();
    }
}
