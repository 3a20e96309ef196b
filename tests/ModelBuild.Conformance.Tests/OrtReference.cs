using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = ModelBuild.Graph.Tensor;
using ModelBuild.Graph;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// Runs a converted node-test model in ONNX Runtime with its first input in the test's own element type
/// (ModelBuild.Evaluation's session takes float32 only; node tests also feed int64, uint8, float16, ...).
/// </summary>
internal static class OrtReference
{
    public static IReadOnlyList<Tensor> Run(byte[] model, Tensor input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(model, options);
        using var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (TensorElementType)input.DataType, input.Dims);
        if (input.RawData.Length > 0)
        {
            input.RawData.CopyTo(value.GetTensorMutableRawData());
        }

        using var runOptions = new RunOptions();
        var names = session.OutputNames.ToArray();
        using var results = session.Run(runOptions, [session.InputNames[0]], [value], names);
        return results.Select((r, i) => ToTensor(names[i], r)).ToList();
    }

    private static Tensor ToTensor(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var count = info.Shape.Aggregate(1L, (a, d) => a * d);
        var bytes = count == 0 ? [] : value.GetTensorMutableRawData().ToArray();
        return new Tensor(name, (DataType)info.ElementDataType, info.Shape, bytes);
    }
}
