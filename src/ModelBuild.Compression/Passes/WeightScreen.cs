using System.Globalization;
using ModelBuild.Compression.Manifest;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes;

/// <summary>
/// The one gate every layer weight passes before any pass sees it (<see cref="CompressionContext.Layers"/> is how
/// quantisation, palettes, pruning, low rank, auto and the report all find weights): a weight with NaN or ±Inf
/// would be stored as garbage by every lossy format (int8 turns NaN into 0 and +Inf into 127), and a weight
/// without elements has no matrix to compress.
/// </summary>
internal static class WeightScreen
{
    /// <summary>The code for a weight with non-finite values.</summary>
    public const string NonFiniteWeight = "MB3004";

    /// <summary>True when passes may compress the weight; false when it is kept exact; MB3004/MB3003 otherwise.</summary>
    public static bool Admit(Tensor tensor, Node node, NonFinitePolicy policy, string modelPath, ISet<string> kept, List<string> notes)
    {
        if (tensor.ElementCount == 0)
        {
            throw new ModelBuildException("MB3003", modelPath,
                $"the weight '{tensor.Name}' of node '{node.Name}' ({node.OpType}) has shape [{string.Join(",", tensor.Dims)}], no elements; "
                + "layers without weights are not supported. Remove the layer from the model.");
        }

        var (nan, positive, negative) = CountNonFinite(tensor.ToFloats());
        if (nan + positive + negative == 0)
        {
            return true;
        }

        var counts = string.Create(CultureInfo.InvariantCulture,
            $"{nan + positive + negative} non-finite values of {tensor.ElementCount} ({nan} NaN, {positive} +Inf, {negative} -Inf)");
        if (policy == NonFinitePolicy.Keep)
        {
            if (kept.Add(tensor.Name))
            {
                notes.Add($"{tensor.Name}: {counts}; kept exact in float32 and left out of every pass (\"nonFinite\": \"keep\")");
            }

            return false;
        }

        throw new ModelBuildException(NonFiniteWeight, modelPath,
            $"the weight '{tensor.Name}' of node '{node.Name}' ({node.OpType}) holds {counts}; compressing it would replace them with "
            + "ordinary numbers (int8 stores NaN as 0 and +Inf as 127). Fix the exported weights, or add \"nonFinite\": \"keep\" at the top "
            + "of the manifest to store such weights exactly (float32, uncompressed).");
    }

    private static (long NaN, long Positive, long Negative) CountNonFinite(float[] values)
    {
        long nan = 0, positive = 0, negative = 0;
        foreach (var v in values)
        {
            if (float.IsNaN(v))
            {
                nan++;
            }
            else if (float.IsPositiveInfinity(v))
            {
                positive++;
            }
            else if (float.IsNegativeInfinity(v))
            {
                negative++;
            }
        }

        return (nan, positive, negative);
    }
}
