using Microsoft.ML.OnnxRuntime;
using ModelBuild.Compression.Planning;
using ModelBuild.Generator.Tests.Models;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Generator.Tests.Execution;

/// <summary>A float tensor: row-major data and its shape.</summary>
internal sealed record Tensor(float[] Data, int[] Shape)
{
    public static Tensor Random(int[] shape, int seed)
    {
        var random = new Random(seed);
        var data = new float[shape.Aggregate(1, (a, d) => a * d)];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return new Tensor(data, shape);
    }
}

/// <summary>
/// The two references a generated predictor is judged by: ONNX Runtime on the original ONNX model (independent
/// maths) and the build's plan interpreter on the same plan (same ops, same kernels, so bit-identical).
/// </summary>
internal static class References
{
    /// <summary>ONNX Runtime on <paramref name="model"/>'s ONNX bytes; outputs in graph order.</summary>
    public static Tensor[] Ort(TestModel model, params Tensor[] inputs)
    {
        // No graph optimisations: with them ONNX Runtime rewrites the int8 model's DequantizeLinear → Gemm into a
        // kernel whose results drift by ~5e-4 from the same maths in float (measured on MlpInt8); the plain graph is
        // the reference the planner's compressed ONNX is meant to be.
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };

        using var session = new InferenceSession(model.Onnx, options);
        var names = session.InputMetadata.Keys.ToList();
        var values = inputs.Select(t => OrtValue.CreateTensorValueFromMemory(t.Data, [.. t.Shape.Select(d => (long)d)])).ToList();
        try
        {
            var outputNames = session.OutputMetadata.Keys.ToList();
            using var run = new RunOptions();
            using var results = session.Run(run, names, values, outputNames);
            return [.. results.Select(r => new Tensor(r.GetTensorDataAsSpan<float>().ToArray(), [.. r.GetTensorTypeAndShape().Shape.Select(d => (int)d)]))];
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    /// <summary>The plan interpreter on <paramref name="model"/>'s plan and blob; outputs in plan order.</summary>
    public static Tensor[] Interpreter(TestModel model, params Tensor[] inputs)
    {
        var program = PlanInterpreter.Load(model.Plan, WeightBlob.Load(model.Blob));
        var context = new OpContext(program);
        for (var i = 0; i < inputs.Length; i++)
        {
            context.SetInput<float>(program.Inputs[i], inputs[i].Data, inputs[i].Shape);
        }

        program.Run(context);
        return [.. program.Outputs.Select(o => new Tensor(context.Floats(o).ToArray(), context.Shape(o).ToArray()))];
    }

    /// <summary>
    /// A single-input reference run in chunks of <paramref name="chunk"/> samples along dim 0 (a fixed-batch model
    /// takes only its own batch; the generated batched API chunks the same way), outputs concatenated.
    /// </summary>
    public static Tensor Chunked(Func<TestModel, Tensor[], Tensor[]> reference, TestModel model, Tensor input, int chunk)
    {
        var per = input.Data.Length / input.Shape[0];
        var parts = new List<Tensor>();
        for (var start = 0; start < input.Shape[0]; start += chunk)
        {
            var shape = (int[])input.Shape.Clone();
            shape[0] = chunk;
            parts.Add(reference(model, [new Tensor(input.Data[(start * per)..((start + chunk) * per)], shape)])[0]);
        }

        var outShape = (int[])parts[0].Shape.Clone();
        outShape[0] = input.Shape[0];
        return new Tensor([.. parts.SelectMany(p => p.Data)], outShape);
    }
}
