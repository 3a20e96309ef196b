using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Runs runtime op records the way a generated predictor does: inputs are inline constants, outputs are arena
/// activations, one <see cref="ModelProgram"/> and <see cref="OpContext"/>.
/// </summary>
internal sealed class InlineOpHarness
{
    private readonly List<ValueDecl> _values = new();
    private int _slots;

    public int Floats(float[] values, params int[] shape) => Add(ValueDecl.Inline($"f{_values.Count}", values, shape));

    public int Longs(long[] values, params int[] shape) => Add(ValueDecl.Inline($"l{_values.Count}", TensorType.Int64, values, shape));

    public int Bools(bool[] values, params int[] shape) =>
        Add(ValueDecl.Inline($"b{_values.Count}", TensorType.Bool, values.Select(b => b ? 1L : 0L).ToArray(), shape));

    public int Output(TensorType type) => Add(ValueDecl.Activation($"y{_values.Count}", type, _slots++));

    /// <summary>Runs <paramref name="ops"/> in order and returns the context holding every value.</summary>
    public OpContext Run(params Op[] ops)
    {
        var program = new ModelProgram(_values.ToArray(), ops, [], [], () => throw new InvalidOperationException("no blob"));
        var context = new OpContext(program);
        program.Run(context);
        return context;
    }

    private int Add(ValueDecl decl)
    {
        _values.Add(decl);
        return _values.Count - 1;
    }
}

/// <summary>numpy broadcasting by explicit multi-indices, for reference results.</summary>
internal static class BroadcastReference
{
    public static int[] Shape(params int[][] shapes)
    {
        var rank = shapes.Max(s => s.Length);
        var result = new int[rank];
        for (var d = 0; d < rank; d++)
        {
            result[d] = 1;
            foreach (var s in shapes)
            {
                var dim = d < rank - s.Length ? 1 : s[d - (rank - s.Length)];
                result[d] = dim != 1 ? dim : result[d];
            }
        }

        return result;
    }

    /// <summary>The flat offset in an operand of <paramref name="shape"/> of output element <paramref name="flat"/>.</summary>
    public static int Offset(int flat, int[] outShape, int[] shape)
    {
        int offset = 0, stride = 1;
        for (int d = outShape.Length - 1, k = shape.Length - 1; d >= 0; d--, k--)
        {
            var index = flat % outShape[d];
            flat /= outShape[d];
            if (k >= 0)
            {
                offset += (shape[k] == 1 ? 0 : index) * stride;
                stride *= shape[k];
            }
        }

        return offset;
    }
}
