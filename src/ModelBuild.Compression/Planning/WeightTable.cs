using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// The weights the plan refers to, in first-use order. A tensor used twice in the same form is stored once.
/// Matrices are stored row-major with one row per output unit, the layout the Dense and Conv kernels stream.
/// </summary>
internal sealed class WeightTable
{
    private readonly Dictionary<string, int> _byKey = new(StringComparer.Ordinal);

    public List<WeightEntry> Entries { get; } = new();

    public int AddFloats(string key, string name, float[] values, int[] dims) =>
        Add(key, () => new WeightEntry(name, "float32", dims, values, null));

    public int AddInt8(string key, string name, QuantizedMatrix matrix, int[] dims) =>
        Add(key, () => new WeightEntry(name, matrix.ZeroPoints is null ? "int8" : "int8a", dims, null, matrix));

    private int Add(string key, Func<WeightEntry> create)
    {
        if (_byKey.TryGetValue(key, out var index))
        {
            return index;
        }

        Entries.Add(create());
        _byKey[key] = Entries.Count - 1;
        return Entries.Count - 1;
    }
}

/// <summary>One blob entry: either floats or an int8 matrix.</summary>
internal sealed record WeightEntry(string Name, string Format, int[] Dims, float[]? Floats, QuantizedMatrix? Int8);
