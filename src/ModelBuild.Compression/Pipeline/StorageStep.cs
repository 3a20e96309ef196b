using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// After the passes: stores every layer weight in the smallest lossless form of what the passes left
/// (<see cref="StorageChoice"/>), so pruned weights are stored sparse whichever pass came last (README: "pruned
/// weights are stored sparse"). Decoded values do not change, so the plan check and accuracy gate see the same model.
/// </summary>
internal static class StorageStep
{
    /// <summary>
    /// What <paramref name="measure"/> returns with the storage choice applied, leaving the context as it was: auto
    /// mode sizes its candidates this way, so its figures are the bytes the build then ships.
    /// </summary>
    public static T Measure<T>(CompressionContext context, Func<T> measure)
    {
        var stored = new Dictionary<string, StoredMatrix>(context.Stored, context.Stored.Comparer);
        var notes = context.Notes.Count;
        try
        {
            Apply(context);
            return measure();
        }
        finally
        {
            context.Stored.Clear();
            foreach (var (name, matrix) in stored)
            {
                context.Stored[name] = matrix;
            }

            context.Notes.RemoveRange(notes, context.Notes.Count - notes);
        }
    }

    public static void Apply(CompressionContext context)
    {
        var changed = new List<string>();
        foreach (var layer in context.Layers())
        {
            var current = context.Stored.TryGetValue(layer.Name, out var stored) ? stored : new DenseFloat(layer.Rows, layer.Cols, context.GetMatrix(layer));
            var chosen = StorageChoice.Smallest(current, context.EntropyCoding);
            if (!ReferenceEquals(chosen, current))
            {
                context.Stored[layer.Name] = chosen;
                changed.Add($"{layer.Name} {chosen.Describe()}");
            }

            LargeModelMemory.AfterLayer((long)layer.Rows * layer.Cols); // the choice decodes the layer to float32
        }

        if (changed.Count > 0)
        {
            context.Notes.Add($"storage: smaller lossless form chosen for {string.Join(", ", changed)}");
        }
    }
}
