using ModelBuild.Graph;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// The parts of a graph the compression passes change (nodes, initializers, weight origins, value infos), kept so
/// auto mode can build candidate after candidate from the same starting point. Tensors and nodes are shared, not
/// copied: passes replace them rather than change them in place.
/// </summary>
internal sealed class GraphSnapshot
{
    private readonly List<Node> _nodes;
    private readonly List<Tensor> _initializers;
    private readonly Dictionary<string, string> _origins;
    private readonly Dictionary<string, ValueInfo> _valueInfos;

    public GraphSnapshot(ModelGraph graph)
    {
        _nodes = [.. graph.Nodes];
        _initializers = [.. graph.Initializers];
        _origins = new Dictionary<string, string>(graph.WeightOrigins, StringComparer.Ordinal);
        _valueInfos = new Dictionary<string, ValueInfo>(graph.ValueInfos, StringComparer.Ordinal);
    }

    /// <summary>Puts <paramref name="graph"/> back to the state it had when the snapshot was taken.</summary>
    public void Restore(ModelGraph graph)
    {
        graph.Nodes.Clear();
        graph.Nodes.AddRange(_nodes);
        foreach (var name in graph.Initializers.Select(t => t.Name).ToList())
        {
            graph.RemoveInitializer(name);
        }

        foreach (var tensor in _initializers)
        {
            graph.SetInitializer(tensor);
        }

        Reset(graph.WeightOrigins, _origins);
        Reset(graph.ValueInfos, _valueInfos);
    }

    private static void Reset<T>(Dictionary<string, T> target, Dictionary<string, T> saved)
    {
        target.Clear();
        foreach (var (key, value) in saved)
        {
            target[key] = value;
        }
    }
}
