using System.Collections.Generic;
using ModelBuild.Generator.Model;
using static ModelBuild.Generator.Emission.Format;

namespace ModelBuild.Generator.Emission;

internal static partial class PredictorEmitter
{
    private const string ArgEx = "global::System.ArgumentException";

    private static string BatchRule(PredictorSpec spec) => spec.Batch.IsDynamic
        ? "Any batch size ≥ 1 works"
        : "The model has a fixed batch of " + I(spec.Batch.FixedSize) + ": pass a multiple of it (the samples are run in chunks)";

    private static void EmitSinglePredict(SourceWriter w, PredictorSpec spec)
    {
        var plan = spec.ClassName + "Plan";
        var input = spec.Inputs[0];
        var output = spec.Outputs[0];
        var inDoc = TensorDoc(spec, input, "input");
        var outDoc = TensorDoc(spec, output, "output");
        var inShape = Literal(Shape(spec, input));
        var outShape = Literal(Shape(spec, output));

        w.Line("/// <summary>Runs the model on a batch of samples. " + BatchRule(spec) + "; the batch is the input length over <see cref=\"InputElementsPerSample\"/>.</summary>");
        w.Line("/// <param name=\"input\">" + inDoc + "</param>");
        w.Line("/// <returns>A new array: " + outDoc + "</returns>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">The input length is not a positive multiple of the per-sample size (or of the fixed batch).</exception>");
        w.Open("public float[] Predict(float[] input)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(input);");
        w.Line("var batch = " + plan + ".BatchOf(input.Length, InputElementsPerSample, nameof(input), " + inShape + ");");
        w.Line("var output = new float[batch * OutputElementsPerSample];");
        w.Line(plan + ".Run(input, output, batch);");
        w.Line("return output;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Runs the model without allocating. " + BatchRule(spec) + "; the batch is the input length over <see cref=\"InputElementsPerSample\"/>.</summary>");
        w.Line("/// <param name=\"input\">" + inDoc + "</param>");
        w.Line("/// <param name=\"output\">Receives " + outDoc + " Its length must be the batch times <see cref=\"OutputElementsPerSample\"/>.</param>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">A length does not fit the shapes.</exception>");
        w.Open("public void Predict(global::System.ReadOnlySpan<float> input, global::System.Span<float> output)");
        w.Line("Predict(input, output, " + plan + ".BatchOf(input.Length, InputElementsPerSample, nameof(input), " + inShape + "));");
        w.Close();
        w.Line();

        w.Line("/// <summary>Runs the model on <paramref name=\"batchSize\"/> samples without allocating. " + BatchRule(spec) + ".</summary>");
        w.Line("/// <param name=\"input\">" + inDoc + " Length: <paramref name=\"batchSize\"/> × <see cref=\"InputElementsPerSample\"/>.</param>");
        w.Line("/// <param name=\"output\">Receives " + outDoc + " Length: <paramref name=\"batchSize\"/> × <see cref=\"OutputElementsPerSample\"/>.</param>");
        w.Line("/// <param name=\"batchSize\">The number of samples.</param>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">The batch size or a length does not fit the shapes.</exception>");
        w.Open("public void Predict(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int batchSize)");
        w.Line(plan + ".CheckBatch(batchSize);");
        w.Line(plan + ".CheckLength(input.Length, batchSize, InputElementsPerSample, nameof(input), " + inShape + ");");
        w.Line(plan + ".CheckLength(output.Length, batchSize, OutputElementsPerSample, nameof(output), " + outShape + ");");
        w.Line(plan + ".Run(input, output, batchSize);");
        w.Close();
    }

    private static void EmitMultiPredict(SourceWriter w, PredictorSpec spec)
    {
        var c = spec.ClassName;
        var plan = c + "Plan";
        w.Line("/// <summary>Runs the model on a batch of samples. " + BatchRule(spec) + "; the batch is the first input's length over its per-sample size.</summary>");
        w.Line("/// <param name=\"input\">One array per ONNX input (see <see cref=\"" + c + "Input\"/>), all holding the same number of samples.</param>");
        w.Line("/// <returns>New arrays, one per ONNX output (see <see cref=\"" + c + "Output\"/>).</returns>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">An input is missing or its length does not fit its shape.</exception>");
        w.Open("public " + c + "Output Predict(" + c + "Input input)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(input);");
        var args = new List<string>();
        foreach (var t in spec.Inputs)
        {
            var local = "in" + I(t.Index);
            var perSample = c + "Input." + t.Identifier.TrimStart('@') + "ElementsPerSample";
            w.Line("var " + local + " = input." + t.Identifier + " ?? throw new " + ArgEx + "(" + Literal(t.Identifier.TrimStart('@') + " is null.") + ", nameof(input));");
            w.Line(t.Index == 0
                ? "var batch = " + plan + ".BatchOf(" + local + ".Length, " + perSample + ", nameof(input), " + Literal(t.Name + " " + Shape(spec, t)) + ");"
                : plan + ".CheckLength(" + local + ".Length, batch, " + perSample + ", nameof(input), " + Literal(t.Name + " " + Shape(spec, t)) + ");");
            args.Add(local);
        }

        w.Line("var output = new " + c + "Output");
        w.Line("{");
        foreach (var t in spec.Outputs)
        {
            w.Line("    " + t.Identifier + " = new float[batch * " + c + "Output." + t.Identifier.TrimStart('@') + "ElementsPerSample],");
            args.Add("output." + t.Identifier);
        }

        w.Line("};");
        w.Line(plan + ".Run(" + string.Join(", ", args) + ", batch);");
        w.Line("return output;");
        w.Close();
    }

    private static void EmitTensorClass(SourceWriter w, PredictorSpec spec, EquatableArray<TensorSpec> tensors, string suffix)
    {
        var direction = suffix == "Input" ? "input" : "output";
        w.Line();
        w.Line("/// <summary>The " + direction + "s of <see cref=\"" + spec.ClassName + "\"/>: one float32 array per ONNX " + direction + ", each holding whole samples.</summary>");
        w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"ModelBuild.Generator\", \"" + Version + "\")]");
        w.Open("public sealed class " + spec.ClassName + suffix);
        var first = true;
        foreach (var t in tensors)
        {
            if (!first)
            {
                w.Line();
            }

            first = false;
            var bare = t.Identifier.TrimStart('@');
            w.Line("/// <summary>Floats per sample of <see cref=\"" + bare + "\"/>.</summary>");
            w.Line("public const int " + bare + "ElementsPerSample = " + I(t.ElementsPerSample) + ";");
            w.Line();
            w.Line("/// <summary>The shape of <see cref=\"" + bare + "\"/> " + BatchNote(spec) + "</summary>");
            w.Line("public static global::System.ReadOnlySpan<int> " + bare + "Shape => " + ShapeValues(spec, t) + ";");
            w.Line();
            w.Line("/// <summary>" + TensorDoc(spec, t, direction) + "</summary>");
            w.Line("public float[] " + t.Identifier + " { get; set; } = global::System.Array.Empty<float>();");
        }

        w.Close();
    }
}
