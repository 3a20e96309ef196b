using System.Globalization;
using ModelBuild.Compression.Algorithms.Pruning;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Passes.Pruning;

/// <summary>
/// Unstructured pruning: sets weights to exact zeros in the graph (storage picks up the sparsity later). Runs
/// <see cref="PruneSpec.Rounds"/> rounds of prune → (optional) reconstruct, each reaching a larger share of the target.
/// </summary>
public sealed class PrunePass(PruneSpec spec) : ICompressionPass
{
    /// <inheritdoc />
    public void Apply(CompressionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var layers = LayerSelection.Select(context, [], spec.Exclude);
        if (layers.Count == 0)
        {
            context.Notes.Add($"{spec.Describe()}: no layer selected.");
            return;
        }

        var targets = spec.Reconstruct ? Reconstruction.RecordTargets(context, layers, spec.Name) : null;

        var rounds = spec.IsNOfM || spec.Threshold is not null ? 1 : spec.Rounds;
        for (var round = 1; round <= rounds; round++)
        {
            var sparsity = RoundTarget(round, rounds);
            context.Progress?.Report($"{spec.Name}: round {round}/{rounds}, sparsity {sparsity:P1}");
            context.InvalidateActivations();
            if (spec.Method == PruneMethod.SparseGpt)
            {
                PruneSparseGpt(context, layers, sparsity);
            }
            else
            {
                PruneMagnitude(context, layers, sparsity);
            }

            if (targets is not null)
            {
                for (var i = 0; i < layers.Count; i++)
                {
                    var layer = layers[i];
                    context.Progress?.Report($"{spec.Name}: round {round}/{rounds}, reconstructing layer {i + 1}/{layers.Count} '{layer.Name}'");
                    Reconstruction.Refit(context, layer, targets, keepZeros: true, spec.Ridge, spec.Name);
                }
            }
        }

        context.InvalidateActivations();
        Report(context, layers);
        if (spec.Reconstruct && layers.Any(l => !LayerSelection.IsDense(l)))
        {
            context.Notes.Add($"{spec.Name}: reconstruction refits Gemm/MatMul layers only; {string.Join(", ", layers.Where(l => !LayerSelection.IsDense(l)).Select(l => l.Name))} kept their pruned weights.");
        }
    }

    /// <summary>The sparsity round <paramref name="round"/> of <paramref name="rounds"/> reaches.</summary>
    internal double RoundTarget(int round, int rounds) => round == rounds ? spec.Sparsity
        : spec.Schedule == PruneSchedule.Linear ? spec.Sparsity * round / rounds
        : 1 - Math.Pow(1 - spec.Sparsity, round / (double)rounds);

    private void PruneMagnitude(CompressionContext context, List<LayerWeight> layers, double sparsity)
    {
        var matrices = layers.Select(context.GetMatrix).ToList();
        if (spec.IsNOfM)
        {
            for (var i = 0; i < layers.Count; i++)
            {
                MagnitudePruner.KeepNOfM(matrices[i], layers[i].Rows, layers[i].Cols, spec.N, spec.M);
            }
        }
        else if (spec.Threshold is { } threshold)
        {
            matrices.ForEach(m => MagnitudePruner.ZeroBelow(m, threshold));
        }
        else if (spec.Scope == PruneScope.Global)
        {
            var total = matrices.Sum(m => (long)m.Length);
            MagnitudePruner.ZeroSmallest(matrices, (long)Math.Round(sparsity * total), TrainedMagnitudes(context, layers, matrices));
        }
        else
        {
            var keys = TrainedMagnitudes(context, layers, matrices);
            for (var i = 0; i < matrices.Count; i++)
            {
                MagnitudePruner.ZeroSmallest([matrices[i]], (long)Math.Round(sparsity * matrices[i].Length), [keys[i]]);
            }
        }

        for (var i = 0; i < layers.Count; i++)
        {
            Set(context, layers[i], matrices[i]);
        }
    }

    private void PruneSparseGpt(CompressionContext context, List<LayerWeight> layers, double sparsity)
    {
        // Global scope: each layer gets the sparsity a global magnitude ranking would give it (a non-uniform
        // allocation), and SparseGPT then chooses the mask within the layer and updates the remaining weights.
        var targets = layers.Select(_ => sparsity).ToArray();
        if (spec.Scope == PruneScope.Global && !spec.IsNOfM)
        {
            var matrices = layers.Select(context.GetMatrix).ToList();
            MagnitudePruner.ZeroSmallest(matrices, (long)Math.Round(sparsity * matrices.Sum(m => (long)m.Length)), TrainedMagnitudes(context, layers, matrices));
            targets = matrices.Select(m => MagnitudePruner.Sparsity(m)).ToArray();
        }

        // Sequential, as in the paper: each layer's Hessian comes from inputs produced by the already pruned layers.
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var h = context.InputHessian(layer, spec.Name);
            var pruned = SparseGpt.Prune(context.GetMatrix(layer), layer.Rows, layer.Cols, h, targets[i], spec.BlockSize, spec.Damping, spec.N, spec.M);
            Set(context, layer, pruned);
            context.InvalidateActivations();
            Pipeline.LargeModelMemory.AfterLayer(4L * layer.Cols * layer.Cols); // H and its factor (float64) are garbage now
        }
    }

    /// <summary>
    /// |w| as trained: a folded BatchNorm multiplied each output channel by γ/√(σ²+ε) (the graph records it), a factor
    /// that spans orders of magnitude across channels and layers and says nothing about a weight's importance (the
    /// BN renormalised it in training). Ranking folded weights by raw |w| strips whole low-γ channels and depthwise
    /// layers; ranking by |w| / factor is PyTorch's global L1 pruning of the unfolded model (issue 13).
    /// </summary>
    private static List<float[]> TrainedMagnitudes(CompressionContext context, List<LayerWeight> layers, List<float[]> matrices) =>
        layers.Select((layer, i) =>
        {
            var factors = context.Graph.FoldedChannelScales.GetValueOrDefault(layer.Name);
            var m = matrices[i];
            return factors is { } f && f.Length == layer.Rows && f.All(v => v != 0 && double.IsFinite(v))
                ? m.Select((v, j) => (float)Math.Abs(v / f[j / layer.Cols])).ToArray()
                : m.Select(Math.Abs).ToArray();
        }).ToList();

    private static void Set(CompressionContext context, LayerWeight layer, float[] matrix)
    {
        context.SetMatrix(layer, matrix);
        if (context.Stored.TryGetValue(layer.Name, out var stored))
        {
            // Pruning after quantisation: keep the chosen representation, masked (prune first for best results).
            var inner = stored is SparseMatrix sparse ? sparse.Inner : stored;
            context.Stored[layer.Name] = new SparseMatrix(layer.Rows, layer.Cols, matrix.Select(v => v != 0).ToArray(), inner);
        }
    }

    private void Report(CompressionContext context, List<LayerWeight> layers)
    {
        long zeros = 0, total = 0;
        var parts = new List<string>();
        foreach (var layer in layers)
        {
            var m = context.GetMatrix(layer);
            var z = m.LongCount(v => v == 0);
            zeros += z;
            total += m.Length;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{layer.Name} {z / (double)m.Length:P1}"));
        }

        context.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"{spec.Describe()}: {zeros:N0} of {total:N0} weights zero ({zeros / (double)Math.Max(1, total):P2}); {string.Join(", ", parts)}."));
    }
}
