using System.Globalization;
using Google.Protobuf;
using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Planning;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx.Proto;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Validation;

/// <summary>
/// Proves the shipped code path on every build: executes the plan exactly as the generated class will (the runtime's
/// operator records built from the plan text by <see cref="PlanInterpreter"/>, the runtime's kernels, the blob's
/// bytes) and compares it with ONNX Runtime on the compressed <c>.onnx</c>. A difference fails the build with MB5004
/// naming the first node whose output diverges (found by running both once more with every intermediate value).
/// </summary>
internal static class PlanVerifier
{
    /// <summary>
    /// Allowed difference per element, relative to max(1, max |reference|): ONNX Runtime's optimiser fuses and reorders
    /// float32 work (measured ≤ 4e-4 on an int8 MLP's compressed model) and the SIMD kernels reorder sums.
    /// </summary>
    public const float Tolerance = 1e-3f;

    /// <summary>Runs the check; returns a note for the report, or throws MB5004.</summary>
    public static string Check(string planText, byte[] blob, byte[] compressedOnnx, ModelGraph graph, IModelRunner runner, CalibrationSet? data, string modelPath) =>
        Check(planText, blob, compressedOnnx, graph, runner, data, modelPath, kernels: null);

    /// <summary>
    /// As above, with each operator record passed through <paramref name="kernels"/> first: the seam tests use to
    /// plant a faulty kernel and prove that the check catches it and names its node.
    /// </summary>
    internal static string Check(string planText, byte[] blob, byte[] compressedOnnx, ModelGraph graph, IModelRunner runner, CalibrationSet? data, string modelPath,
        Func<Op, Op>? kernels) =>
        Check(planText, () => WeightBlob.Load(blob), CompressedModel.FromBytes(compressedOnnx), graph, runner, data, modelPath, kernels);

    /// <summary>
    /// The check with the blob loaded by <paramref name="loadBlob"/> only after ONNX Runtime has run the compressed
    /// model and released its session: on a multi-gigabyte model the two are never in memory together (issue 12).
    /// </summary>
    internal static string Check(string planText, Func<WeightBlob> loadBlob, CompressedModel compressedOnnx, ModelGraph graph, IModelRunner runner,
        CalibrationSet? data, string modelPath, Func<Op, Op>? kernels = null, IProgress<string>? progress = null)
    {
        var program = PlanInterpreter.Load(planText, loadBlob);
        if (kernels is not null)
        {
            var loaded = program;
            program = new ModelProgram([.. loaded.Values], [.. loaded.Ops.Select(kernels)], [.. loaded.Inputs], [.. loaded.Outputs], () => loaded.Blob);
        }

        if (graph.Outputs.FirstOrDefault(o => graph.GetValueInfo(o.Name)?.ElementType is not (DataType.Float or DataType.Double or DataType.Float16
                or DataType.BFloat16 or DataType.Int64 or DataType.Int32 or DataType.Bool)) is { } odd)
        {
            return $"generated code not checked against ONNX Runtime: the output '{odd.Name}' is {graph.GetValueInfo(odd.Name)?.ElementType.OnnxName() ?? "of unknown type"}, which the check cannot compare";
        }

        var (sample, reason) = PlanSamples.Make(graph, data);
        if (sample is null)
        {
            return "generated code not checked against ONNX Runtime: " + reason;
        }

        var outputNames = graph.Outputs.Select(o => o.Name).ToList();
        IReadOnlyList<float[]> reference;
        try
        {
            reference = compressedOnnx.Run(runner, Path.GetFileName(modelPath), sample, outputNames);
        }
        catch (ModelBuildException e) when (e.Code == "MB4001" && (PlanSamples.HasIntegers(sample) || sample.Any(i => i.ElementType != DataType.Float)
            || e.Message.Contains("NotImplemented", StringComparison.Ordinal)))
        {
            // Made-up integers can be what no caller sends (a shape, a count), and ONNX Runtime's CPU build lacks kernels
            // for some types (bfloat16 Gemm): the reference cannot run, which is not the plan's fault, so say so and go on.
            return $"generated code not checked against ONNX Runtime: it could not run the compressed model on {PlanSamples.Describe(sample, graph)}: {e.Message}";
        }

        progress?.Report("plan check: ONNX Runtime ran the compressed model; running the plan");

        var context = new OpContext(program);
        Feed(program, context, sample, modelPath);
        RunOpByOp(program, context, modelPath);
        progress?.Report("plan check: the plan ran");
        var worst = 0.0;
        var uncompared = new List<string>();
        for (var o = 0; o < program.Outputs.Count; o++)
        {
            if (program.Values[program.Outputs[o]].Type != TensorType.Float32)
            {
                uncompared.Add(outputNames[o]);
                continue;
            }

            var type = graph.GetValueInfo(outputNames[o])?.ElementType ?? DataType.Float;
            var diff = Difference(reference[o], RoundTo(type, context.Floats(program.Outputs[o])));
            worst = Math.Max(worst, diff);
            if (diff > ToleranceFor(type))
            {
                throw Diverged(program, compressedOnnx, graph, runner, sample, modelPath, outputNames[o], diff);
            }
        }

        var tolerance = graph.Outputs.Select(o => ToleranceFor(graph.GetValueInfo(o.Name)?.ElementType ?? DataType.Float)).Max();
        var skipped = uncompared.Count == 0 ? "" : $"; integer/bool outputs not compared (a float tie may flip them): {string.Join(", ", uncompared.Select(n => $"'{n}'"))}";
        return string.Create(CultureInfo.InvariantCulture,
            $"generated code checked against ONNX Runtime on the compressed model, all {sample.Count} input(s) fed: {PlanSamples.Describe(sample, graph)}; max relative difference {worst:G3} (tolerance {tolerance:G3}){skipped}");
    }

    /// <summary>
    /// <see cref="Tolerance"/>, or for a float16/bfloat16 output 8 units in the last place of that type: ONNX Runtime
    /// rounds such a model's values to it between operators, the plan computes in float32 throughout.
    /// </summary>
    private static float ToleranceFor(DataType type) => type switch
    {
        DataType.Float16 => Math.Max(Tolerance, 8 * MathF.Pow(2, -11)),
        DataType.BFloat16 => Math.Max(Tolerance, 8 * MathF.Pow(2, -8)),
        _ => Tolerance,
    };

    /// <summary>The plan's float32 output as the typed API hands it out for an output of <paramref name="type"/>.</summary>
    private static float[] RoundTo(DataType type, ReadOnlySpan<float> values)
    {
        var result = values.ToArray();
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = type switch
            {
                DataType.Float16 => (float)(Half)result[i],
                DataType.BFloat16 => BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(result[i]) + 0x7FFF + ((BitConverter.SingleToInt32Bits(result[i]) >> 16) & 1)) & unchecked((int)0xFFFF0000)),
                _ => result[i],
            };
        }

        return result;
    }

    /// <summary>Sets each plan input from the sample of the same name, as the typed API converts it (int32 → int64, float16 → float32).</summary>
    private static void Feed(ModelProgram program, OpContext context, IReadOnlyList<ModelInput> sample, string modelPath)
    {
        foreach (var id in program.Inputs)
        {
            var decl = program.Values[id];
            var input = sample.FirstOrDefault(s => s.Name == decl.Name)
                ?? throw new ModelBuildException("MB5004", modelPath, $"the plan's input '{decl.Name}' is not an input of the model. Nothing was written. This is a ModelBuild bug; please report it with the model.");
            switch (decl.Type)
            {
                case TensorType.Float32:
                    context.SetInput<float>(id, Array.ConvertAll(input.Values, v => (float)v), input.Shape);
                    break;
                case TensorType.Int64:
                    context.SetInput<long>(id, Array.ConvertAll(input.Values, v => (long)v), input.Shape);
                    break;
                default:
                    context.SetInput<bool>(id, Array.ConvertAll(input.Values, v => v != 0), input.Shape);
                    break;
            }
        }
    }

    /// <summary>
    /// The worst |expected − actual| relative to max(1, max finite |expected|). Equal values differ by 0, including
    /// NaN against NaN and an infinity against the same infinity (a weight kept with "nonFinite": "keep" makes both);
    /// a non-finite value against anything else differs by infinity.
    /// </summary>
    private static double Difference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length)
        {
            return double.PositiveInfinity;
        }

        var scale = 1.0;
        foreach (var v in expected)
        {
            if (float.IsFinite(v))
            {
                scale = Math.Max(scale, Math.Abs((double)v));
            }
        }

        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i].Equals(actual[i]))
            {
                continue;
            }

            var d = Math.Abs((double)expected[i] - actual[i]);
            worst = Math.Max(worst, double.IsFinite(d) ? d / scale : double.PositiveInfinity);
        }

        return worst;
    }

    /// <summary>
    /// Explains a difference that is float32 overflow rather than a wrong kernel: one side ±∞ (or NaN) where the other
    /// is finite. Sums near FLT_MAX overflow in one summation order and not in another, so neither result is wrong.
    /// </summary>
    internal static string? OverflowAt(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        for (var i = 0; i < expected.Length && i < actual.Length; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            if (float.IsFinite(e) == float.IsFinite(a))
            {
                continue;
            }

            // Only when the finite side is itself near the limit: a kernel that returns ∞ or NaN for an ordinary value is
            // a bug, not overflow.
            if (Math.Abs(float.IsFinite(e) ? e : a) >= 1e30f)
            {
                return FormattableString.Invariant(
                    $"element {i} is {expected[i]:G4} in ONNX Runtime and {actual[i]:G4} in the generated code: the node's arithmetic overflows float32 (±3.4e38), and the two add in a different order. The model's weights or inputs are too large for float32 (a corrupt or mis-scaled tensor is the usual cause).");
            }
        }

        return null;
    }

    /// <summary>
    /// Runs the plan; an operator that throws on a sample ONNX Runtime ran (a shape check, an overflowing size) is the
    /// same fault as a wrong value, so it is MB5004 naming the operator, not an exception out of the worker.
    /// </summary>
    private static void RunOpByOp(ModelProgram program, OpContext context, string modelPath)
    {
        for (var i = 0; i < program.Ops.Count; i++)
        {
            var op = program.Ops[i];
            try
            {
                op.Execute(context);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException
                or ArithmeticException or NotSupportedException or InvalidDataException)
            {
                var value = op.GetType().GetProperty("Y")?.GetValue(op) is int y ? program.Values[y].Name : "?";
                throw new ModelBuildException("MB5004", modelPath, FormattableString.Invariant(
                    $"the generated code fails where ONNX Runtime runs the compressed model, at op {i + 1} of {program.Ops.Count} ({op.GetType().Name.Replace("Op", "", StringComparison.Ordinal)}, value '{value}'): {e.Message} Nothing was written. This is a ModelBuild bug; please report it with the model."));
            }
        }
    }

    /// <summary>Bisects by node: ONNX Runtime once with every float intermediate as an output, the plan op by op.</summary>
    private static ModelBuildException Diverged(ModelProgram program, CompressedModel compressedOnnx, ModelGraph graph, IModelRunner runner,
        IReadOnlyList<ModelInput> sample, string modelPath, string output, double outputDiff)
    {
        var named = new Dictionary<int, string>();
        foreach (var op in program.Ops)
        {
            // A conv writing its channels of a Concat's output in place has no values of its own at the start of its
            // storage; the Concat's output, compared after it, covers them.
            if (op is Runtime.Ops.ConvOp { ConcatChannels: > 0 })
            {
                continue;
            }

            if (op.GetType().GetProperty("Y")?.GetValue(op) is int y && program.Values[y].Type == TensorType.Float32
                && graph.GetValueInfo(program.Values[y].Name) is { ElementType: DataType.Float })
            {
                named[y] = program.Values[y].Name;
            }
        }

        var names = named.Values.Distinct().ToList();
        var reference = compressedOnnx.RunWithOutputs(runner, Path.GetFileName(modelPath), sample, names);
        var byName = names.Select((n, i) => (n, reference[i])).ToDictionary(p => p.n, p => p.Item2, StringComparer.Ordinal);
        var context = new OpContext(program);
        Feed(program, context, sample, modelPath);
        foreach (var op in program.Ops)
        {
            op.Execute(context);
            if (op.GetType().GetProperty("Y")?.GetValue(op) is int y && named.TryGetValue(y, out var name))
            {
                var diff = Difference(byName[name], context.Floats(y));
                if (diff > Tolerance)
                {
                    var where = FormattableString.Invariant(
                        $"the generated code differs from ONNX Runtime on the compressed model, first at node '{op.Node}' ({OpCodec.Kind(op)}, value '{name}')");
                    return new ModelBuildException("MB5004", modelPath, OverflowAt(byName[name], context.Floats(y)) is { } overflow
                        ? $"{where}: {overflow} Nothing was written."
                        : FormattableString.Invariant($"{where}: relative difference {diff:G3} > {Tolerance:G3}.")
                            + " Nothing was written. This is a ModelBuild bug; please report it with the model.");
                }
            }
        }

        return new ModelBuildException("MB5004", modelPath, FormattableString.Invariant(
            $"the generated code's output '{output}' differs from ONNX Runtime on the compressed model by {outputDiff:G3} (relative; tolerance {Tolerance:G3}), though no single node's output does.")
            + " Nothing was written. This is a ModelBuild bug; please report it with the model.");
    }
}
