using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Runs operator records on a tiny <see cref="ModelProgram"/>: inputs are activations set through
/// <see cref="OpContext.SetInput{T}"/>, constants are inline values, every value has its own slot.
/// </summary>
internal sealed class OpHarness
{
    private readonly List<ValueDecl> _values = new();
    private readonly List<Action<OpContext>> _inputs = new();
    private int _slots;

    public int Floats(float[] data, params int[] shape)
    {
        var id = Input(TensorType.Float32, data.Length, shape);
        _inputs.Add(c => c.SetInput<float>(id, data, shape));
        return id;
    }

    public int Longs(long[] data, params int[] shape)
    {
        var id = Input(TensorType.Int64, data.Length, shape);
        _inputs.Add(c => c.SetInput<long>(id, data, shape));
        return id;
    }

    public int Bools(bool[] data, params int[] shape)
    {
        var id = Input(TensorType.Bool, data.Length, shape);
        _inputs.Add(c => c.SetInput<bool>(id, data, shape));
        return id;
    }

    /// <summary>An inline int64 constant (as the planner writes small shape operands).</summary>
    public int ConstLongs(long[] data, params int[] shape) => Add(ValueDecl.Inline("c" + _values.Count, TensorType.Int64, data, shape));

    /// <summary>An inline float constant.</summary>
    public int ConstFloats(float[] data, params int[] shape) => Add(ValueDecl.Inline("c" + _values.Count, data, shape));

    /// <summary>An output activation of <paramref name="type"/>.</summary>
    public int Output(TensorType type) => Add(ValueDecl.Activation("y" + _values.Count, type, _slots++));

    /// <summary>Runs <paramref name="ops"/> in order and returns the context holding the outputs.</summary>
    public OpContext Run(params Op[] ops)
    {
        var (program, context) = Prepare(ops);
        program.Run(context);
        return context;
    }

    /// <summary>A program of <paramref name="ops"/> and a context with the inputs set, not yet run.</summary>
    public (ModelProgram Program, OpContext Context) Prepare(params Op[] ops)
    {
        var program = new ModelProgram(_values.ToArray(), ops, [], [], () => throw new InvalidOperationException("no blob in op tests"));
        var context = new OpContext(program);
        foreach (var set in _inputs)
        {
            set(context);
        }

        return (program, context);
    }

    private int Input(TensorType type, int length, int[] shape)
    {
        Assert.Equal(shape.Aggregate(1, (p, d) => p * d), length);
        return Add(ValueDecl.Activation("x" + _values.Count, type, _slots++));
    }

    private int Add(ValueDecl decl)
    {
        _values.Add(decl);
        return _values.Count - 1;
    }
}

/// <summary>Row-major index helpers for the reference implementations (element by element, no row tricks).</summary>
internal static class Nd
{
    public static int Count(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    public static int[] Unravel(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }

        return index;
    }

    public static int Ravel(int[] index, int[] shape)
    {
        var flat = 0;
        for (var d = 0; d < shape.Length; d++)
        {
            flat = (flat * shape[d]) + index[d];
        }

        return flat;
    }

    public static long[] Longs(Random rng, int n, int lo = -1000, int hi = 1000) =>
        Enumerable.Range(0, n).Select(_ => (long)rng.Next(lo, hi)).ToArray();

    public static bool[] Bools(Random rng, int n) => Enumerable.Range(0, n).Select(_ => rng.Next(2) == 1).ToArray();
}
