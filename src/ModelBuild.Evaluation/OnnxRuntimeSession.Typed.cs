using Microsoft.ML.OnnxRuntime;
using ModelBuild.Compression.Contracts;
using ModelBuild.Graph;

namespace ModelBuild.Evaluation;

/// <summary>Runs on inputs of the model's own element types (the build's plan check feeds every input this way).</summary>
public sealed partial class OnnxRuntimeSession
{
    /// <summary>
    /// Runs the model with each input a tensor of its <see cref="ModelInput.ElementType"/> and returns the requested
    /// outputs (all by default) converted to float. An element type it cannot build is MB4001.
    /// </summary>
    public IReadOnlyDictionary<string, (float[] Data, int[] Shape)> RunTyped(IReadOnlyList<ModelInput> inputs, IEnumerable<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var values = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        try
        {
            foreach (var input in inputs)
            {
                long expected = input.Shape.Aggregate(1L, (a, d) => a * d);
                if (expected != input.Values.Length)
                {
                    throw new ArgumentException($"Input '{input.Name}' has {input.Values.Length} values but shape [{string.Join(",", input.Shape)}] needs {expected}.", nameof(inputs));
                }

                values[input.Name] = Tensor(input);
            }
        }
        catch
        {
            Release(values);
            throw;
        }

        return RunValues(values, outputNames, string.Join(", ", inputs.Select(i => $"{i.Name} {i.ElementType.OnnxName()} [{string.Join(",", i.Shape)}]")));
    }

    private OrtValue Tensor(ModelInput input)
    {
        var shape = input.Shape.Select(d => (long)d).ToArray();
        var v = input.Values;
        return input.ElementType switch
        {
            DataType.Float => Make(v, d => (float)d, shape),
            DataType.Double => Make(v, d => d, shape),
            DataType.Float16 => Make(v, d => (Float16)(float)d, shape),
            DataType.BFloat16 => Make(v, d => (BFloat16)(float)d, shape),
            DataType.Int64 => Make(v, d => checked((long)d), shape),
            DataType.Int32 => Make(v, d => checked((int)d), shape),
            DataType.Int16 => Make(v, d => checked((short)d), shape),
            DataType.Int8 => Make(v, d => checked((sbyte)d), shape),
            DataType.UInt8 => Make(v, d => checked((byte)d), shape),
            DataType.Bool => Make(v, d => d != 0, shape),
            var t => throw new ModelBuildException(EvaluationErrors.RuntimeRefused, _displayName,
                $"the input '{input.Name}' is {t.OnnxName()}; ModelBuild feeds float, double, float16, bfloat16, integer and bool inputs to ONNX Runtime."),
        };
    }

    private static OrtValue Make<T>(double[] values, Func<double, T> convert, long[] shape)
        where T : unmanaged
    {
        var data = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            data[i] = convert(values[i]);
        }

        return OrtValue.CreateTensorValueFromMemory(data, shape);
    }
}
