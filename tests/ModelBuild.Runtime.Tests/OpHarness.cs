using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Runs operator records the way a generated predictor does, on a tiny <see cref="ModelProgram"/> and
/// <see cref="OpContext"/>: inputs are activations read in place or set through <see cref="OpContext.SetInput{T}"/>, constants are
/// inline values or float32 blob entries, every activation has its own slot, value ids count from 0 in the order
/// they are added.
/// </summary>
internal sealed class OpHarness
{
    private readonly List<ValueDecl> _values = new();
    private readonly List<int> _inputIds = new();
    private readonly List<int> _outputIds = new();
    private readonly List<Action<OpContext>> _inputs = new();
    private readonly List<Action<OpContext>> _inPlaceInputs = new();
    private readonly List<BlobEntrySpec> _blob = new();
    private int _slots;

    /// <summary>A float32 activation input.</summary>
    public int Floats(float[] data, params int[] shape) => Input(TensorType.Float32, data, shape);

    /// <summary>An int64 activation input.</summary>
    public int Longs(long[] data, params int[] shape) => Input(TensorType.Int64, data, shape);

    /// <summary>A bool activation input.</summary>
    public int Bools(bool[] data, params int[] shape) => Input(TensorType.Bool, data, shape);

    /// <summary>An inline float constant (what a lowering makes of an initializer).</summary>
    public int ConstFloats(float[] data, params int[] shape) => Add(ValueDecl.Inline("c" + _values.Count, data, shape));

    /// <summary>An inline int64 constant (as the planner writes small shape operands).</summary>
    public int ConstLongs(long[] data, params int[] shape) => Add(ValueDecl.Inline("c" + _values.Count, TensorType.Int64, data, shape));

    /// <summary>An inline bool constant.</summary>
    public int ConstBools(bool[] data, params int[] shape) =>
        Add(ValueDecl.Inline("c" + _values.Count, TensorType.Bool, data.Select(b => b ? 1L : 0L).ToArray(), shape));

    /// <summary>A value declared by the caller (e.g. an inline constant of a given type).</summary>
    public int Add(ValueDecl decl)
    {
        _values.Add(decl);
        return _values.Count - 1;
    }

    /// <summary>A float32 blob entry (packed weights, biases) of <paramref name="dims"/> (default: 1-D); returns its index.</summary>
    public int BlobFloats(float[] data, params int[] dims)
    {
        _blob.Add(new BlobEntrySpec("w" + _blob.Count, WeightFormat.Float32, dims.Length == 0 ? [data.Length] : dims, BlobWriter.Float32(data)));
        return _blob.Count - 1;
    }

    /// <summary>A blob entry written as given (any format code); returns its index.</summary>
    public int BlobEntry(BlobEntrySpec spec)
    {
        _blob.Add(spec);
        return _blob.Count - 1;
    }

    /// <summary>An output activation of <paramref name="type"/>.</summary>
    public int Output(TensorType type = TensorType.Float32)
    {
        var id = Add(ValueDecl.Activation("y" + _values.Count, type, _slots++));
        _outputIds.Add(id);
        return id;
    }

    /// <summary>A float activation sharing <paramref name="value"/>'s slot (as the planner joins a view or a concat part with its value); not an output.</summary>
    public int Alias(int value) => Add(ValueDecl.Activation("v" + _values.Count, TensorType.Float32, _values[value].Slot));

    /// <summary>Runs <paramref name="ops"/> in order and returns the context holding the outputs.</summary>
    /// <remarks>
    /// Inputs the program reads in place (<see cref="ModelProgram.ReadsInPlace"/>, as a generated predictor does) are read
    /// from guarded read-only memory (<see cref="GuardedInput"/>), so every operator test also checks that kernels neither
    /// read past their input's end nor write into it. After the run those inputs are no longer bound.
    /// </remarks>
    public OpContext Run(params Op[] ops)
    {
        var (program, context) = Build(ops);
        for (int i = 0; i < _inputIds.Count; i++)
        {
            (program.ReadsInPlace(_inputIds[i]) ? _inPlaceInputs[i] : _inputs[i])(context);
        }

        program.Run(context);
        return context;
    }

    /// <summary>A program of <paramref name="ops"/> and a context with the inputs set, not yet run.</summary>
    public (ModelProgram Program, OpContext Context) Prepare(params Op[] ops)
    {
        var (program, context) = Build(ops);
        foreach (var set in _inputs)
        {
            set(context);
        }

        return (program, context);
    }

    private (ModelProgram Program, OpContext Context) Build(Op[] ops)
    {
        var blob = _blob.ToArray();
        var program = new ModelProgram([.. _values], ops, [.. _inputIds], [.. _outputIds],
            blob.Length == 0 ? () => throw new InvalidOperationException("no blob in this test") : () => WeightBlob.Load(BlobWriter.Write(blob)));
        return (program, new OpContext(program));
    }

    /// <summary>
    /// Runs one op on one float input, so a test sees the output shape the op computes per call. Value 0 is the input,
    /// values 1… the outputs (types given).
    /// </summary>
    public static OpContext RunSingle(Op op, float[] input, int[] shape, params TensorType[] outputs) =>
        RunSingle<float>(op, input, TensorType.Float32, shape, outputs);

    /// <inheritdoc cref="RunSingle(Op, float[], int[], TensorType[])"/>
    public static OpContext RunSingle<T>(Op op, T[] input, TensorType inputType, int[] shape, params TensorType[] outputs)
        where T : unmanaged
    {
        var h = new OpHarness();
        h.Input(inputType, input, shape);
        foreach (var type in outputs)
        {
            h.Output(type);
        }

        return h.Run(op);
    }

    /// <summary>
    /// Runs one op whose value 0 is the float input, values 1… the given extra values (constants), then its outputs;
    /// <paramref name="blob"/> holds float32 entries (values and dims). Returns each output's shape and values.
    /// </summary>
    public static (int[] Shape, float[] Floats, long[] Longs)[] RunToArrays(
        (float[] Values, int[] Shape) input, ValueDecl[] extra, TensorType[] outputs, Op op, params (float[] Values, int[] Dims)[] blob)
    {
        var h = new OpHarness();
        h.Floats(input.Values, input.Shape);
        foreach (var decl in extra)
        {
            h.Add(decl);
        }

        var ids = outputs.Select(t => h.Output(t)).ToArray();
        foreach (var (values, dims) in blob)
        {
            h.BlobFloats(values, dims);
        }

        var context = h.Run(op);
        return ids.Select((v, i) => (context.Shape(v).ToArray(),
            outputs[i] == TensorType.Float32 ? context.Floats(v).ToArray() : [],
            outputs[i] == TensorType.Int64 ? context.Longs(v).ToArray() : [])).ToArray();
    }

    private int Input<T>(TensorType type, T[] data, int[] shape)
        where T : unmanaged
    {
        Assert.Equal(shape.Aggregate(1, (p, d) => p * d), data.Length);
        var id = Add(ValueDecl.Activation("x" + _values.Count, type, _slots++));
        _inputIds.Add(id);
        _inputs.Add(c => c.SetInput<T>(id, data, shape));
        _inPlaceInputs.Add(c =>
        {
            if (data.Length == 0)
            {
                c.SetInput<T>(id, data, shape);
            }
            else
            {
                GuardedInput.ReadInPlace(c, id, data, shape);
            }
        });
        return id;
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
