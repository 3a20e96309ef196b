using System.Globalization;
using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Passes;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Validation;

/// <summary>
/// The inputs <see cref="PlanVerifier"/> feeds both the plan and ONNX Runtime: one tensor per graph input, of the
/// input's own element type. A symbolic (or unknown) first dim is the batch (the calibration sample count, at most 4,
/// else 2), and so is every later dim with the same symbol; other dims must be fixed.
/// </summary>
internal static class PlanSamples
{
    private const int MaxSamples = 4;
    private const int MaxDim = 4096;
    private const long MaxElements = 1 << 24;

    /// <summary>
    /// The largest tensor the check runs (both in ONNX Runtime and in the plan): 256 MiB, about a second each way here;
    /// beyond it the check would dominate the build (a fuzzed model's 3.2 GB Pad output took ~25 s in it).
    /// </summary>
    private const double MaxCheckedBytes = 256.0 * 1024 * 1024;

    /// <summary>Integers fed where no consumer bounds them: small non-negative values, valid as counts, ids and flags.</summary>
    private const int SmallIntegers = 4;

    /// <summary>The samples, or a sentence saying why the model's inputs cannot be synthesised (then nothing is checked).</summary>
    public static (IReadOnlyList<ModelInput>? Inputs, string? Reason) Make(ModelGraph graph, CalibrationSet? data)
    {
        var inputs = graph.Inputs.Where(i => !graph.IsInitializer(i.Name)).ToList();
        var batch = Math.Clamp(data?.Count ?? 2, 1, MaxSamples);
        var symbols = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (input.Shape is { Rank: > 0 } s && s[0] is { Value: null, Symbol: { } symbol })
            {
                symbols.TryAdd(symbol, batch);
            }
        }

        if (Planning.TensorSizeLimit.Largest(graph, batch) is { Bytes: > MaxCheckedBytes } big)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"the value '{big.Name}' needs {big.Bytes:N0} bytes (symbolic dims set to {batch}), over the check's {MaxCheckedBytes:N0} bytes (256 MiB) per tensor"));
        }

        var rng = new Random(20261130);
        var samples = new List<ModelInput>();
        for (var k = 0; k < inputs.Count; k++)
        {
            var input = inputs[k];
            if (input.Shape is null)
            {
                return (null, $"the input '{input.Name}' has no declared shape; pin it (InputShapes)");
            }

            var dims = new int[input.Shape.Rank];
            for (var d = 0; d < dims.Length; d++)
            {
                var dim = input.Shape[d];
                int? value = dim.Value is { } v ? (v is >= 0 and <= MaxDim ? (int)v : null)
                    : dim.Symbol is { } sym && symbols.TryGetValue(sym, out var pinned) ? pinned
                    : d == 0 ? batch : null;
                if (value is null)
                {
                    return (null, string.Create(CultureInfo.InvariantCulture,
                        $"the input '{input.Name}' has dim {d} = {dim} (symbolic, or over {MaxDim}); pin it (InputShapes)"));
                }

                dims[d] = value.Value;
            }

            var count = dims.Aggregate(1L, (a, n) => a * n);
            if (count > MaxElements)
            {
                return (null, string.Create(CultureInfo.InvariantCulture, $"the input '{input.Name}' of shape [{string.Join(",", dims)}] has over {MaxElements} elements"));
            }

            if (Values(graph, input, dims, (int)count, k == 0 ? data : null, rng) is not { } values)
            {
                return (null, $"the input '{input.Name}' is {input.ElementType.OnnxName()}, which the generated code does not take");
            }

            samples.Add(new ModelInput(input.Name, input.ElementType, dims, values));
        }

        return (samples, null);
    }

    /// <summary>One line per input for the report: name, type, shape and (for integers) the range fed.</summary>
    public static string Describe(IReadOnlyList<ModelInput> inputs, ModelGraph graph) =>
        string.Join(", ", inputs.Select(i => string.Create(CultureInfo.InvariantCulture,
            $"'{i.Name}' {i.ElementType.OnnxName()} [{string.Join(",", i.Shape)}]{(IsInteger(i.ElementType) ? $" (values 0..{IntegerBound(graph, i.Name) - 1})" : "")}")));

    /// <summary>True when an integer input was made up (ONNX Runtime may then refuse what a real caller never sends).</summary>
    public static bool HasIntegers(IReadOnlyList<ModelInput> inputs) => inputs.Any(i => IsInteger(i.ElementType));

    private static bool IsInteger(DataType t) => t is DataType.Int64 or DataType.Int32;

    private static double[]? Values(ModelGraph graph, ValueInfo input, int[] dims, int count, CalibrationSet? data, Random rng)
    {
        var values = new double[count];
        switch (input.ElementType)
        {
            case DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16:
                // Calibration samples when they fit the first input, else seeded values in [-1, 1]; each rounded to
                // the input's type and to float32, so ONNX Runtime and the float32 plan read the same numbers.
                var calibrated = data is not null && dims.Length > 0 && data.SampleShape.SequenceEqual(dims.Skip(1)) && data.Count >= dims[0];
                for (var i = 0; i < count; i++)
                {
                    var v = calibrated ? data!.Samples[i] : (float)((rng.NextDouble() * 2) - 1);
                    values[i] = RoundTo(input.ElementType, v);
                }

                return values;
            case DataType.Int64 or DataType.Int32:
                var bound = IntegerBound(graph, input.Name);
                for (var i = 0; i < count; i++)
                {
                    values[i] = rng.Next(bound);
                }

                return values;
            case DataType.Bool:
                for (var i = 0; i < count; i++)
                {
                    values[i] = rng.Next(2);
                }

                return values;
            default:
                return null;
        }
    }

    /// <summary>
    /// Exclusive upper bound for an integer input: the smallest indexed extent among the Gather/GatherElements that
    /// read it as indices (embeddings: the vocabulary size), else <see cref="SmallIntegers"/>.
    /// </summary>
    private static int IntegerBound(ModelGraph graph, string name)
    {
        var bound = int.MaxValue;
        foreach (var node in graph.Consumers(name))
        {
            if (node.OpType is "Gather" or "GatherElements" && node.InputOrNull(1) == name && node.InputOrNull(0) is { } source
                && (graph.GetValueInfo(source)?.Shape ?? graph.GetInitializer(source)?.Shape) is { Rank: > 0 } shape)
            {
                var axis = (int)node.GetInt("axis", 0);
                axis = axis < 0 ? axis + shape.Rank : axis;
                if (axis >= 0 && axis < shape.Rank && shape[axis].Value is long extent && extent > 0)
                {
                    bound = (int)Math.Min(bound, extent);
                }
            }
        }

        return bound == int.MaxValue ? SmallIntegers : bound;
    }

    private static double RoundTo(DataType type, float v) => type switch
    {
        DataType.Float16 => (float)(Half)v,
        DataType.BFloat16 => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) & unchecked((int)0xFFFF0000)), // truncation: exact in bfloat16
        _ => v,
    };
}
