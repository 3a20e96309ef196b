using System.Collections;

namespace ModelBuild.Graph;

/// <summary>An immutable shape with value equality. A rank of 0 is a scalar.</summary>
public sealed class TensorShape : IReadOnlyList<Dim>, IEquatable<TensorShape>
{
    private readonly Dim[] _dims;

    public TensorShape(IEnumerable<Dim> dims) => _dims = dims.ToArray();

    public static TensorShape Scalar { get; } = new(Array.Empty<Dim>());

    public static TensorShape Of(params long[] dims) => new(dims.Select(Dim.Of));

    public static TensorShape Of(params Dim[] dims) => new(dims);

    public int Rank => _dims.Length;

    public int Count => _dims.Length;

    public Dim this[int index] => _dims[index];

    /// <summary>True when every dimension has a known size.</summary>
    public bool IsStatic => _dims.All(d => d.IsKnown);

    /// <summary>The element count; throws when a dimension is not known.</summary>
    public long ElementCount()
    {
        long count = 1;
        foreach (var d in _dims)
        {
            count = checked(count * (d.Value ?? throw new InvalidOperationException($"Shape {this} is not static.")));
        }

        return count;
    }

    /// <summary>The known sizes; throws when a dimension is not known.</summary>
    public long[] ToArray() => _dims.Select(d => d.Value ?? throw new InvalidOperationException($"Shape {this} is not static.")).ToArray();

    public IEnumerator<Dim> GetEnumerator() => ((IEnumerable<Dim>)_dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _dims.GetEnumerator();

    public bool Equals(TensorShape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dims)
        {
            hash.Add(d);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(",", _dims.Select(d => d.ToString())) + "]";
}
