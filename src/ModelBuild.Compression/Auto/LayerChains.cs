namespace ModelBuild.Compression.Auto;

/// <summary>
/// Each layer's candidates reduced to its Pareto chain: ordered by bytes from the largest, each step strictly smaller
/// and strictly lossier than the one before, every dominated candidate (as large and as lossy as another) dropped.
/// Candidates of different kinds (linear codes, palettes, pruned + palettes) then form one ladder per layer that
/// <see cref="AutoAllocation"/> walks by loss per byte saved.
/// </summary>
internal sealed class LayerChains
{
    private readonly int[][] _settings;

    /// <param name="loss">Measured loss per layer and setting (infinite: not measured).</param>
    /// <param name="bytes">Measured bytes per layer and setting.</param>
    public LayerChains(double[][] loss, long[][] bytes)
    {
        _settings = loss.Select((l, i) => Front(l, bytes[i])).ToArray();
        Loss = _settings.Select((chain, i) => chain.Select(c => loss[i][c]).ToArray()).ToArray();
        Bytes = _settings.Select((chain, i) => chain.Select(c => bytes[i][c]).ToArray()).ToArray();
    }

    /// <summary>Loss per layer and step (non-decreasing along a chain).</summary>
    public double[][] Loss { get; }

    /// <summary>Bytes per layer and step (decreasing along a chain).</summary>
    public long[][] Bytes { get; }

    /// <summary>The setting index of a layer's step.</summary>
    public int Setting(int layer, int step) => _settings[layer][step];

    /// <summary>Setting indices for a step per layer.</summary>
    /// <remarks>Not <c>steps.Select(Setting)</c>: that binds Select's (element, index) overload, i.e. Setting(step, layer).</remarks>
    public int[] Settings(int[] steps) => steps.Select((step, layer) => Setting(layer, step)).ToArray();

    /// <summary>The non-dominated settings, largest first; ties in bytes keep the lower loss, then the earlier setting.</summary>
    public static int[] Front(double[] loss, long[] bytes)
    {
        var front = new List<int>();
        var best = double.PositiveInfinity;
        foreach (var c in Enumerable.Range(0, loss.Length).Where(c => double.IsFinite(loss[c])).OrderBy(c => bytes[c]).ThenBy(c => loss[c]).ThenBy(c => c))
        {
            if (loss[c] < best)
            {
                front.Add(c);
                best = loss[c];
            }
        }

        front.Reverse();
        return front.Count > 0 ? front.ToArray() : [0];
    }
}
