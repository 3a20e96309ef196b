using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Runs one op on one input through a real <see cref="ModelProgram"/> and <see cref="OpContext"/>, so a test sees the
/// output shape the op computes per call. Value 0 is the float input, values 1… the outputs (types given).
/// </summary>
internal static class OpHarness
{
    public static OpContext Run(Op op, float[] input, int[] shape, params TensorType[] outputs)
    {
        var values = new List<ValueDecl> { ValueDecl.Activation("x", TensorType.Float32, 0) };
        for (int i = 0; i < outputs.Length; i++)
        {
            values.Add(ValueDecl.Activation("y" + i, outputs[i], i + 1));
        }

        var program = new ModelProgram([.. values], [op], [0], [.. Enumerable.Range(1, outputs.Length)],
            () => throw new InvalidOperationException("no blob"));
        var context = new OpContext(program);
        context.SetInput<float>(0, input, shape);
        program.Run(context);
        return context;
    }
}
