using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Runs one op the way generated code does: a <see cref="ModelProgram"/> whose value 0 is the float input, then the
/// given extra values (constants), then the op's outputs; blob entries are float32 matrices.
/// </summary>
internal static class ProgramRunner
{
    /// <param name="input">The input's values and shape (value 0).</param>
    /// <param name="extra">Values 1… (inline constants).</param>
    /// <param name="outputs">Types of the values after them (the op's outputs, one slot each).</param>
    /// <param name="op">The op, built with those value ids.</param>
    /// <param name="blob">Float32 blob entries: values and dims.</param>
    public static (int[] Shape, float[] Floats, long[] Longs)[] Run(
        (float[] Values, int[] Shape) input, ValueDecl[] extra, TensorType[] outputs, Op op, params (float[] Values, int[] Dims)[] blob)
    {
        var values = new List<ValueDecl> { ValueDecl.Activation("x", TensorType.Float32, 0) };
        values.AddRange(extra);
        var first = values.Count;
        for (int i = 0; i < outputs.Length; i++)
        {
            values.Add(ValueDecl.Activation("y" + i, outputs[i], i + 1));
        }

        var entries = blob.Select((b, i) => new BlobEntrySpec("w" + i, WeightFormat.Float32, b.Dims, BlobWriter.Float32(b.Values))).ToList();
        var bytes = BlobWriter.Write(entries);
        var program = new ModelProgram([.. values], [op], [0], [.. Enumerable.Range(first, outputs.Length)], () => WeightBlob.Load(bytes));
        var context = new OpContext(program);
        context.SetInput<float>(0, input.Values, input.Shape);
        program.Run(context);
        return Enumerable.Range(first, outputs.Length).Select(v => (context.Shape(v).ToArray(),
            outputs[v - first] == TensorType.Float32 ? context.Floats(v).ToArray() : [],
            outputs[v - first] == TensorType.Int64 ? context.Longs(v).ToArray() : [])).ToArray();
    }
}
