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

    private const int MaxSamples = 4;

    /// <summary>Runs the check; returns a note for the report, or throws MB5004.</summary>
    public static string Check(string planText, byte[] blob, byte[] compressedOnnx, ModelGraph graph, IModelRunner runner, CalibrationSet? data, string modelPath) =>
        Check(planText, blob, compressedOnnx, graph, runner, data, modelPath, kernels: null);

    /// <summary>
    /// As above, with each operator record passed through <paramref name="kernels"/> first: the seam tests use to
    /// plant a faulty kernel and prove that the check catches it and names its node.
    /// </summary>
    internal static string Check(string planText, byte[] blob, byte[] compressedOnnx, ModelGraph graph, IModelRunner runner, CalibrationSet? data, string modelPath,
        Func<Op, Op>? kernels)
    {
        var program = PlanInterpreter.Load(planText, WeightBlob.Load(blob));
        if (kernels is not null)
        {
            var loaded = program;
            program = new ModelProgram([.. loaded.Values], [.. loaded.Ops.Select(kernels)], [.. loaded.Inputs], [.. loaded.Outputs], () => loaded.Blob);
        }

        var inputs = graph.Inputs.Where(i => !graph.IsInitializer(i.Name)).ToList();
        if (program.Inputs.Count != 1 || inputs.Count != 1 || inputs[0].ElementType != DataType.Float
            || graph.Outputs.Any(o => graph.GetValueInfo(o.Name)?.ElementType is not (DataType.Float or DataType.Int64 or DataType.Bool)))
        {
            return "generated code not checked against ONNX Runtime: only models with one float32 input are checked so far";
        }

        if (Sample(inputs[0].Shape, data) is not { } sample)
        {
            return "generated code not checked against ONNX Runtime: the input has symbolic dims besides the first; pin them (InputShapes) or add calibration data";
        }

        var outputNames = graph.Outputs.Select(o => o.Name).ToList();
        var reference = runner.Run(compressedOnnx, Path.GetFileName(modelPath), sample.Values, sample.Shape, outputNames);
        var context = new OpContext(program);
        context.SetInput<float>(program.Inputs[0], sample.Values, sample.Shape);
        RunOpByOp(program, context, modelPath);
        var worst = 0.0;
        for (var o = 0; o < program.Outputs.Count; o++)
        {
            if (program.Values[program.Outputs[o]].Type != TensorType.Float32)
            {
                continue;
            }

            var diff = Difference(reference[o], context.Floats(program.Outputs[o]));
            worst = Math.Max(worst, diff);
            if (diff > Tolerance)
            {
                throw Diverged(program, compressedOnnx, graph, runner, sample, modelPath, outputNames[o], diff);
            }
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"generated code checked against ONNX Runtime on the compressed model: input of shape [{string.Join(",", sample.Shape)}], max relative difference {worst:G3} (tolerance {Tolerance:G3})");
    }

    private sealed record Input(float[] Values, int[] Shape);

    /// <summary>Calibration samples when they fit the input, else seeded synthetic values in [-1, 1]; null when dims are unknown.</summary>
    private static Input? Sample(TensorShape? shape, CalibrationSet? data)
    {
        if (shape is null || shape.Rank == 0 || shape.Skip(1).Any(d => d.Value is null or > 4096))
        {
            return null;
        }

        var tail = shape.Skip(1).Select(d => (int)d.Value!.Value).ToArray();
        var batch = shape[0].Value is { } fixedBatch ? (int)fixedBatch : Math.Min(MaxSamples, data?.Count ?? 2);
        int[] full = [batch, .. tail];
        var count = full.Aggregate(1L, (a, d) => a * d);
        if (count > 1 << 24)
        {
            return null;
        }

        var values = new float[count];
        if (data is not null && data.SampleShape.SequenceEqual(tail) && data.Count >= batch)
        {
            Array.Copy(data.Samples, values, values.Length);
        }
        else
        {
            var rng = new Random(20261130);
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)((rng.NextDouble() * 2) - 1);
            }
        }

        return new Input(values, full);
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

    /// <summary>Bisects by node: ONNX Runtime once with every float intermediate as an output, the plan op by op.</summary>
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

    private static ModelBuildException Diverged(ModelProgram program, byte[] compressedOnnx, ModelGraph graph, IModelRunner runner,
        Input sample, string modelPath, string output, double outputDiff)
    {
        var named = new Dictionary<int, string>();
        foreach (var op in program.Ops)
        {
            if (op.GetType().GetProperty("Y")?.GetValue(op) is int y && program.Values[y].Type == TensorType.Float32
                && graph.GetValueInfo(program.Values[y].Name) is { ElementType: DataType.Float })
            {
                named[y] = program.Values[y].Name;
            }
        }

        var model = ModelProto.Parser.ParseFrom(compressedOnnx);
        var existing = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in named.Values.Where(n => !existing.Contains(n)).Distinct())
        {
            model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } } });
        }

        var names = named.Values.Distinct().ToList();
        var reference = runner.Run(model.ToByteArray(), Path.GetFileName(modelPath), sample.Values, sample.Shape, names);
        var byName = names.Select((n, i) => (n, reference[i])).ToDictionary(p => p.n, p => p.Item2, StringComparer.Ordinal);
        var context = new OpContext(program);
        context.SetInput<float>(program.Inputs[0], sample.Values, sample.Shape);
        foreach (var op in program.Ops)
        {
            op.Execute(context);
            if (op.GetType().GetProperty("Y")?.GetValue(op) is int y && named.TryGetValue(y, out var name))
            {
                var diff = Difference(byName[name], context.Floats(y));
                if (diff > Tolerance)
                {
                    return new ModelBuildException("MB5004", modelPath, FormattableString.Invariant(
                        $"the generated code differs from ONNX Runtime on the compressed model, first at node '{op.Node}' ({OpCodec.Kind(op)}, value '{name}'): relative difference {diff:G3} > {Tolerance:G3}.")
                        + " Nothing was written. This is a ModelBuild bug; please report it with the model.");
                }
            }
        }

        return new ModelBuildException("MB5004", modelPath, FormattableString.Invariant(
            $"the generated code's output '{output}' differs from ONNX Runtime on the compressed model by {outputDiff:G3} (relative; tolerance {Tolerance:G3}), though no single node's output does.")
            + " Nothing was written. This is a ModelBuild bug; please report it with the model.");
    }
}
