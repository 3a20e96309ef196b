using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>Runs runtime ops on hand-made tensors: activations (each in its own slot) and inline float constants.</summary>
internal sealed class OpRunner
{
    private readonly List<ValueDecl> _values = new();
    private readonly List<(int Id, float[] Data, int[] Shape)> _inputs = new();
    private readonly List<BlobEntrySpec> _blob = new();
    private int _slots;

    /// <summary>A float32 blob entry (packed weights, biases) holding <paramref name="data"/>.</summary>
    public int BlobFloats(float[] data)
    {
        _blob.Add(new BlobEntrySpec("b" + _blob.Count, WeightFormat.Float32, [data.Length], BlobWriter.Float32(data)));
        return _blob.Count - 1;
    }

    /// <summary>An activation holding <paramref name="data"/> with <paramref name="shape"/>.</summary>
    public int Input(float[] data, params int[] shape)
    {
        var id = Output();
        _inputs.Add((id, data, shape));
        return id;
    }

    /// <summary>A constant (what a lowering makes of an initializer).</summary>
    public int Constant(float[] data, params int[] shape)
    {
        _values.Add(ValueDecl.Inline("c" + _values.Count, data, shape));
        return _values.Count - 1;
    }

    /// <summary>An activation an op writes.</summary>
    public int Output()
    {
        _values.Add(ValueDecl.Activation("v" + _values.Count, TensorType.Float32, _slots++));
        return _values.Count - 1;
    }

    /// <summary>Runs <paramref name="ops"/> once and returns the context to read outputs from.</summary>
    public OpContext Run(params Op[] ops)
    {
        var program = new ModelProgram([.. _values], ops, _inputs.Select(i => i.Id).ToArray(), [],
            _blob.Count == 0 ? () => throw new InvalidOperationException("no blob in this test") : () => WeightBlob.Load(BlobWriter.Write(_blob)));
        var context = new OpContext(program);
        foreach (var (id, data, shape) in _inputs)
        {
            context.SetInput<float>(id, data, shape);
        }

        program.Run(context);
        return context;
    }
}
