using Microsoft.ML.OnnxRuntime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.OnnxRuntime;

/// <summary>
/// One thread's OrtValues for a fallback model: an input tensor per graph input, kept while its shape repeats, and
/// output tensors allocated once the output shapes for those input shapes are known, so a repeated shape runs
/// into pre-allocated memory. A model whose output shapes depend on input values (NonZero, Unique…) falls back to
/// outputs ONNX Runtime allocates.
/// </summary>
internal sealed class ThreadBuffers(int inputCount, int outputCount)
{
    private readonly OrtValue?[] _inputs = new OrtValue?[inputCount];
    private readonly int[][] _inputShapes = Enumerable.Repeat(Array.Empty<int>(), inputCount).ToArray();
    private readonly OrtValue?[] _outputs = new OrtValue?[outputCount];
    private readonly int[][] _outputShapes = new int[outputCount][];
    private readonly RunOptions _options = new();
    private bool _outputsValid;
    private bool _valueDependentShapes;

    public void Run(FallbackSession s, OpContext c, int[] inputs, int[] outputs)
    {
        for (var i = 0; i < inputs.Length; i++)
        {
            var shape = c.Shape(inputs[i]);
            if (_inputs[i] is null || !shape.SequenceEqual(_inputShapes[i]))
            {
                _inputs[i]?.Dispose();
                _inputs[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, s.InputTypes[i], Longs(shape));
                _inputShapes[i] = shape.ToArray();
                _outputsValid = false;
            }

            ElementConversion.ToOrt(c.TypeOf(inputs[i]), c.Bytes(inputs[i]), s.InputTypes[i], _inputs[i]!.GetTensorMutableRawData());
        }

        if (_outputsValid && TryRunPreallocated(s))
        {
            for (var o = 0; o < outputs.Length; o++)
            {
                ElementConversion.FromOrt(s.OutputTypes[o], _outputs[o]!.GetTensorMutableRawData(), c.TypeOf(outputs[o]), c.OutputBytes(outputs[o], _outputShapes[o]));
            }

            return;
        }

        using var results = s.Session.Run(_options, s.InputNames, _inputs!, s.OutputNames);
        var o2 = 0;
        foreach (var result in results)
        {
            var shape = Array.ConvertAll(result.GetTensorTypeAndShape().Shape, d => checked((int)d));
            ElementConversion.FromOrt(s.OutputTypes[o2], result.GetTensorMutableRawData(), c.TypeOf(outputs[o2]), c.OutputBytes(outputs[o2], shape));
            if (!_valueDependentShapes)
            {
                _outputs[o2]?.Dispose();
                _outputs[o2] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, s.OutputTypes[o2], Longs(shape));
                _outputShapes[o2] = shape;
            }

            o2++;
        }

        _outputsValid = !_valueDependentShapes;
    }

    /// <summary>Runs into the outputs of the last call; false (and never again) when the output shapes changed with the values.</summary>
    private bool TryRunPreallocated(FallbackSession s)
    {
        try
        {
            s.Session.Run(_options, s.InputNames, _inputs!, s.OutputNames, _outputs!);
            return true;
        }
        catch (OnnxRuntimeException)
        {
            // Same input shapes, other output shapes: the model's output sizes depend on its input values.
            _valueDependentShapes = true;
            _outputsValid = false;
            return false;
        }
    }

    private static long[] Longs(ReadOnlySpan<int> shape)
    {
        var result = new long[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            result[i] = shape[i];
        }

        return result;
    }
}
