using System.Collections.Generic;
using ModelBuild.Generator.Model;
using static ModelBuild.Generator.Emission.Format;

namespace ModelBuild.Generator.Emission;

internal static partial class PredictorEmitter
{
    private const string ArgEx = "global::System.ArgumentException";
    private const string Span = "global::System.Span";
    private const string ReadOnlySpan = "global::System.ReadOnlySpan";

    private static void EmitSinglePredict(SourceWriter w, PredictorSpec spec)
    {
        var p = spec.ClassName + "Program";
        var input = spec.Inputs[0];
        var output = spec.Outputs[0];
        var ti = input.ElementType;
        var to = output.ElementType;
        var inDoc = TensorDoc(input, "input");
        var outDoc = TensorDoc(output, "output");
        if (IsBatched(spec))
        {
            EmitBatchedPredict(w, spec, p);
        }

        w.Line("/// <summary>Runs the model on an input of any shape the model accepts (symbolic dims take any size).</summary>");
        w.Line("/// <param name=\"input\">" + inDoc + "</param>");
        w.Line("/// <param name=\"inputShape\">The input's shape; its rank and fixed dims must match <see cref=\"InputShape\"/>.</param>");
        w.Line("/// <param name=\"outputShape\">Receives the output's shape.</param>");
        w.Line("/// <returns>A new array: " + outDoc + "</returns>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">The shape does not fit the model or the input's length is not the shape's element count.</exception>");
        w.Open("public " + to + "[] Predict(" + ti + "[] input, int[] inputShape, out int[] outputShape)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(input);");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(inputShape);");
        w.Line("var context = " + p + ".Run<" + ti + ">(input, inputShape);");
        w.Line("return " + Ex + "Predictors.ReadOutput<" + to + ">(context, " + I(output.Value) + ", out outputShape);");
        w.Close();
        w.Line();

        w.Line("/// <summary>Runs the model without allocating (after the first call on a thread with a given shape).</summary>");
        w.Line("/// <param name=\"input\">" + inDoc + "</param>");
        w.Line("/// <param name=\"inputShape\">The input's shape; its rank and fixed dims must match <see cref=\"InputShape\"/>.</param>");
        w.Line("/// <param name=\"output\">Receives " + outDoc + " Must hold at least the output's element count (see <see cref=\"GetOutputShape\"/>).</param>");
        w.Line("/// <param name=\"outputShape\">Receives the output's shape (its length must be at least the output's rank), or empty.</param>");
        w.Line("/// <returns>The number of elements written to <paramref name=\"output\"/>.</returns>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">A shape or length does not fit.</exception>");
        w.Open("public int Predict(" + ReadOnlySpan + "<" + ti + "> input, " + ReadOnlySpan + "<int> inputShape, " + Span + "<" + to + "> output, " + Span + "<int> outputShape)");
        w.Line("var context = " + p + ".Run(input, inputShape);");
        w.Line("return " + Ex + "Predictors.CopyOutput(context, " + I(output.Value) + ", output, outputShape, " + Literal(output.Name) + ");");
        w.Close();
        w.Line();

        w.Line("/// <summary>The output shape for an input shape, computed by running the model once on zeros of that shape.</summary>");
        w.Line("/// <param name=\"inputShape\">The input's shape.</param>");
        w.Line("/// <returns>A new array with the output's shape.</returns>");
        w.Open("public int[] GetOutputShape(" + ReadOnlySpan + "<int> inputShape)");
        w.Line("var zeros = new " + ti + "[" + Ex + "Predictors.CheckShape(inputShape, InputShape, " + Literal(input.Name) + ", nameof(inputShape))];");
        w.Line("var context = " + p + ".Run<" + ti + ">(zeros, inputShape);");
        w.Line("return context.Shape(" + I(output.Value) + ").ToArray();");
        w.Close();
    }

    private static void EmitBatchedPredict(SourceWriter w, PredictorSpec spec, string p)
    {
        var input = spec.Inputs[0];
        var output = spec.Outputs[0];
        var ti = input.ElementType;
        var to = output.ElementType;
        var fixedBatch = input.Dim(0) < 0 ? 0 : input.Dim(0);
        var rule = fixedBatch == 0 ? "Any batch size ≥ 1 works" : "The model has a fixed batch of " + I(fixedBatch) + ": pass a multiple of it (run in chunks)";
        var inDoc = TensorDoc(input, "input");
        var outDoc = TensorDoc(output, "output");
        var shapeText = Literal(input.Name + " " + Shape(input));

        w.Line("/// <summary>Runs the model on a batch of samples. " + rule + "; the batch is the input length over <see cref=\"InputElementsPerSample\"/>.</summary>");
        w.Line("/// <param name=\"input\">" + inDoc + "</param>");
        w.Line("/// <returns>A new array: " + outDoc + "</returns>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">The input length is not a positive multiple of the per-sample size (or of the fixed batch).</exception>");
        w.Open("public " + to + "[] Predict(" + ti + "[] input)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(input);");
        w.Line("var batch = " + Ex + "Predictors.BatchOf(input.Length, InputElementsPerSample, " + I(fixedBatch) + ", " + shapeText + ", nameof(input));");
        w.Line("var output = new " + to + "[batch * OutputElementsPerSample];");
        w.Line("Predict(input, output, batch);");
        w.Line("return output;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Runs the model without allocating. " + rule + "; the batch is the input length over <see cref=\"InputElementsPerSample\"/>.</summary>");
        w.Line("/// <param name=\"input\">" + inDoc + "</param>");
        w.Line("/// <param name=\"output\">Receives " + outDoc + " Its length must be the batch times <see cref=\"OutputElementsPerSample\"/>.</param>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">A length does not fit the shapes.</exception>");
        w.Open("public void Predict(" + ReadOnlySpan + "<" + ti + "> input, " + Span + "<" + to + "> output)");
        w.Line("Predict(input, output, " + Ex + "Predictors.BatchOf(input.Length, InputElementsPerSample, " + I(fixedBatch) + ", " + shapeText + ", nameof(input)));");
        w.Close();
        w.Line();

        w.Line("/// <summary>Runs the model on <paramref name=\"batchSize\"/> samples without allocating. " + rule + ".</summary>");
        w.Line("/// <param name=\"input\">" + inDoc + " Length: <paramref name=\"batchSize\"/> × <see cref=\"InputElementsPerSample\"/>.</param>");
        w.Line("/// <param name=\"output\">Receives " + outDoc + " Length: <paramref name=\"batchSize\"/> × <see cref=\"OutputElementsPerSample\"/>.</param>");
        w.Line("/// <param name=\"batchSize\">The number of samples.</param>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">The batch size or a length does not fit the shapes.</exception>");
        w.Open("public void Predict(" + ReadOnlySpan + "<" + ti + "> input, " + Span + "<" + to + "> output, int batchSize)");
        w.Open("if (batchSize <= 0" + (fixedBatch > 1 ? " || batchSize % " + I(fixedBatch) : "") + (fixedBatch > 1 ? " != 0" : "") + ")");
        w.Line("throw new global::System.ArgumentOutOfRangeException(nameof(batchSize), batchSize, \"The batch size must be "
            + (fixedBatch > 1 ? "a positive multiple of " + I(fixedBatch) + ", the model's fixed batch" : "at least 1") + ".\");");
        w.Close();
        w.Line();
        w.Open("if (input.Length != (long)batchSize * InputElementsPerSample || output.Length != (long)batchSize * OutputElementsPerSample)");
        w.Line("throw new " + ArgEx + "(\"Expected \" + batchSize + " + Literal(" samples of " + input.Name + " " + Shape(input) + " → " + output.Name + " " + Shape(output) + ": ") + " + ((long)batchSize * InputElementsPerSample) + \" input and \" + ((long)batchSize * OutputElementsPerSample) + \" output elements, got \" + input.Length + \" and \" + output.Length + \".\");");
        w.Close();
        w.Line();
        var dims = new List<string> { fixedBatch == 0 ? "batchSize" : I(fixedBatch) };
        for (var i = 1; i < input.Shape.Count; i++)
        {
            dims.Add(I(input.Dim(i)));
        }

        w.Line(ReadOnlySpan + "<int> shape = [" + string.Join(", ", dims) + "];");
        if (fixedBatch == 0)
        {
            // Whole, or in cache-sized chunks of samples when the program keeps them apart (BatchChunks decides).
            w.Line(Ex + "BatchChunks.Dynamic<" + ti + ", " + to + ">(" + p + ".Run, " + p + ".Program, input, output, shape, batchSize"
                + ", InputElementsPerSample, OutputElementsPerSample, " + I(output.Value) + ", " + Literal(output.Name) + ");");
            w.Close();
            w.Line();
            return;
        }

        // A fixed batch runs in chunks of that batch, shared out over the intra-op threads when there are more than one.
        w.Line(Ex + "BatchChunks.Fixed<" + ti + ", " + to + ">(" + p + ".Run, " + p + ".Program.IntraOpThreads, input, output, shape, batchSize, " + I(fixedBatch)
            + ", InputElementsPerSample, OutputElementsPerSample, " + I(output.Value) + ", " + Literal(output.Name) + ");");
        w.Close();
        w.Line();
    }

    private static void EmitMultiPredict(SourceWriter w, PredictorSpec spec)
    {
        var c = spec.ClassName;
        var p = c + "Program";
        w.Line("/// <summary>Runs the model. Each input's shape is its <c>…Shape</c> property, or derived from its length for inputs whose dims after the first are fixed.</summary>");
        w.Line("/// <param name=\"input\">One array per ONNX input (see <see cref=\"" + c + "Input\"/>).</param>");
        w.Line("/// <returns>New arrays and shapes, one per ONNX output (see <see cref=\"" + c + "Output\"/>).</returns>");
        w.Line("/// <exception cref=\"" + ArgEx + "\">An input is missing or its shape or length does not fit.</exception>");
        w.Open("public " + c + "Output Predict(" + c + "Input input)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(input);");
        w.Line("var context = " + p + ".Context;");
        foreach (var t in spec.Inputs)
        {
            var bare = t.Identifier.TrimStart('@');
            var data = "input." + t.Identifier;
            w.Line("var shape" + I(t.Index) + " = input." + bare + "Shape ?? " + (t.IsBatchFirst
                ? c + "Input.ShapeOf" + bare + "(" + data + ".Length)"
                : "throw new " + ArgEx + "(" + Literal(bare + "Shape must be set: the shape of '" + t.Name + "' " + Shape(t) + " has dims known only per call.") + ", nameof(input))") + ";");
            w.Line(Ex + "Predictors.CheckShape(shape" + I(t.Index) + ", " + c + "Input." + bare + "DeclaredShape, " + Literal(t.Name) + ", nameof(input));");
            // A single input is read where the caller's array lies (Predictors.Run); several are copied, then run.
            w.Line(spec.Inputs.Count == 1
                ? Ex + "Predictors.Run<" + t.ElementType + ">(" + p + ".Program, context, " + I(t.Value) + ", " + data + ", shape" + I(t.Index) + ");"
                : Ex + "Predictors.SetInput<" + t.ElementType + ">(context, " + I(t.Value) + ", " + data + ", shape" + I(t.Index) + ");");
        }

        if (spec.Inputs.Count != 1)
        {
            w.Line(p + ".Program.Run(context);");
        }

        w.Line("var output = new " + c + "Output();");
        foreach (var t in spec.Outputs)
        {
            var bare = t.Identifier.TrimStart('@');
            w.Line("output." + t.Identifier + " = " + Ex + "Predictors.ReadOutput<" + t.ElementType + ">(context, " + I(t.Value) + ", out var shape" + bare + ");");
            w.Line("output." + bare + "Shape = shape" + bare + ";");
        }

        w.Line("return output;");
        w.Close();
        EmitMultiSpanPredict(w, spec);
    }

    /// <summary>
    /// The zero-allocation overload of a multi-input/multi-output model: one span and one shape span per tensor, in
    /// ONNX order, inputs first. Output shape spans may be empty when the caller does not need the shape.
    /// </summary>
    private static void EmitMultiSpanPredict(SourceWriter w, PredictorSpec spec)
    {
        var c = spec.ClassName;
        var p = c + "Program";
        var parameters = new List<string>();
        w.Line();
        w.Line("/// <summary>Runs the model without allocating (after the first call on a thread with given shapes). Outputs are copied into the spans.</summary>");
        foreach (var t in spec.Inputs)
        {
            var name = Parameter(t);
            parameters.Add(ReadOnlySpan + "<" + t.ElementType + "> " + name);
            parameters.Add(ReadOnlySpan + "<int> " + Bare(name) + "Shape");
            w.Line("/// <param name=\"" + Bare(name) + "\">" + TensorDoc(t, "input") + "</param>");
            w.Line("/// <param name=\"" + Bare(name) + "Shape\">The shape of <paramref name=\"" + Bare(name) + "\"/>.</param>");
        }

        foreach (var t in spec.Outputs)
        {
            var name = Parameter(t);
            parameters.Add(Span + "<" + t.ElementType + "> " + name);
            parameters.Add(Span + "<int> " + Bare(name) + "Shape");
            w.Line("/// <param name=\"" + Bare(name) + "\">Receives " + TensorDoc(t, "output") + " Must hold at least its element count.</param>");
            w.Line("/// <param name=\"" + Bare(name) + "Shape\">Receives its shape (at least its rank long), or empty.</param>");
        }

        w.Line("/// <exception cref=\"" + ArgEx + "\">A shape does not fit its input, or an output span is too short.</exception>");
        w.Open("public void Predict(" + string.Join(", ", parameters) + ")");
        w.Line("var context = " + p + ".Context;");
        foreach (var t in spec.Inputs)
        {
            var name = Parameter(t);
            w.Line(Ex + "Predictors.CheckShape(" + Bare(name) + "Shape, " + c + "Input." + t.Identifier.TrimStart('@') + "DeclaredShape, " + Literal(t.Name) + ", nameof(" + Bare(name) + "Shape));");
            w.Line(spec.Inputs.Count == 1
                ? Ex + "Predictors.Run(" + p + ".Program, context, " + I(t.Value) + ", " + name + ", " + Bare(name) + "Shape);"
                : Ex + "Predictors.SetInput(context, " + I(t.Value) + ", " + name + ", " + Bare(name) + "Shape);");
        }

        if (spec.Inputs.Count != 1)
        {
            w.Line(p + ".Program.Run(context);");
        }

        foreach (var t in spec.Outputs)
        {
            var name = Parameter(t);
            w.Line(Ex + "Predictors.CopyOutput(context, " + I(t.Value) + ", " + name + ", " + Bare(name) + "Shape, " + Literal(t.Name) + ");");
        }

        w.Close();
    }

    private static string Bare(string parameter) => parameter.TrimStart('@');

    /// <summary>A camelCase parameter name from a tensor's identifier (keywords escaped with @).</summary>
    private static string Parameter(TensorSpec t)
    {
        var bare = t.Identifier.TrimStart('@');
        var camel = char.ToLowerInvariant(bare[0]) + bare.Substring(1);
        return Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(camel) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None
            || Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetContextualKeywordKind(camel) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + camel : camel;
    }

    private static void EmitTensorClass(SourceWriter w, PredictorSpec spec, EquatableArray<TensorSpec> tensors, string suffix)
    {
        var direction = suffix == "Input" ? "input" : "output";
        w.Line();
        w.Line("/// <summary>The " + direction + "s of <see cref=\"" + spec.ClassName + "\"/>: one array per ONNX " + direction + ", with its shape.</summary>");
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
            w.Line("/// <summary>" + TensorDoc(t, direction) + "</summary>");
            w.Line("public " + t.ElementType + "[] " + t.Identifier + " { get; set; } = global::System.Array.Empty<" + t.ElementType + ">();");
            w.Line();
            if (suffix == "Input")
            {
                w.Line("/// <summary>The shape of <see cref=\"" + bare + "\"/>; null derives it from the length" + (t.IsBatchFirst ? "" : " (not possible for this input: set it)") + ".</summary>");
                w.Line("public int[]? " + bare + "Shape { get; set; }");
                w.Line();
                w.Line("/// <summary>The declared shape of <see cref=\"" + bare + "\"/>, -1 where a dim is known only per call.</summary>");
                w.Line("public static " + ReadOnlySpan + "<int> " + bare + "DeclaredShape => " + ShapeValues(t) + ";");
                if (t.IsBatchFirst)
                {
                    w.Line();
                    w.Line("internal static int[] ShapeOf" + bare + "(int length) => [length / " + I(System.Math.Max(1, t.ElementsPerSample)) + PerSampleTail(t) + "];");
                }
            }
            else
            {
                w.Line("/// <summary>The shape of <see cref=\"" + bare + "\"/> after <c>Predict</c>.</summary>");
                w.Line("public int[] " + bare + "Shape { get; set; } = global::System.Array.Empty<int>();");
            }
        }

        w.Close();
    }

    private static string PerSampleTail(TensorSpec t)
    {
        var tail = "";
        for (var i = 1; i < t.Shape.Count; i++)
        {
            tail += ", " + I(t.Dim(i));
        }

        return tail;
    }
}
