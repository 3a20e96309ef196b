using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Runs one op on one input through a real <see cref="ModelProgram"/> and <see cref="OpContext"/>, so a test sees the
/// output shape the op computes per call. Value 0 is the input, values 1… the outputs (types given).
/// </summary>
internal static class SingleOpHarness
{
    public static OpContext Run(Op op, float[] input, int[] shape, params TensorType[] outputs) =>
        Run<float>(op, input, TensorType.Float32, shape, outputs);

    public static OpContext Run<T>(Op op, T[] input, TensorType inputType, int[] shape, params TensorType[] outputs)
        where T : unmanaged
    {
        var values = new List<ValueDecl> { ValueDecl.Activation("x", inputType, 0) };
        for (int i = 0; i < outputs.Length; i++)
        {
            values.Add(ValueDecl.Activation("y" + i, outputs[i], i + 1));
        }

        var program = new ModelProgram([.. values], [op], [0], [.. Enumerable.Range(1, outputs.Length)],
            () => throw new InvalidOperationException("no blob"));
        var context = new OpContext(program);
        context.SetInput<T>(0, input, shape);
        program.Run(context);
        return context;
    }
}
