using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning.Lowering.Fusions;

/// <summary>Graph queries the pattern fusions share.</summary>
internal static class FusionQueries
{
    /// <summary>The one node reading <paramref name="node"/>'s only output (once), when that output is not a graph output.</summary>
    public static Node? SoleConsumer(ModelGraph g, Node node)
    {
        if (node.Outputs.Count != 1 || g.IsGraphOutput(node.Outputs[0]))
        {
            return null;
        }

        var readers = g.Consumers(node.Outputs[0]);
        return readers.Count == 1 && readers[0].Inputs.Count(i => i == node.Outputs[0]) == 1 ? readers[0] : null;
    }

    /// <summary>The value of a float32 constant holding exactly one element, else null.</summary>
    public static float? ScalarConstant(LoweringContext c, string name) =>
        c.Constant(name) is { ElementCount: 1, DataType: DataType.Float } t ? t.ToFloats()[0] : null;

    /// <summary>
    /// For a two-input node, the operand other than the one <paramref name="isKnown"/> accepts (either order);
    /// null when neither or both are accepted.
    /// </summary>
    public static string? OtherOperand(Node node, Func<string, bool> isKnown)
    {
        if (node.Inputs.Count != 2)
        {
            return null;
        }

        bool first = isKnown(node.Inputs[0]), second = isKnown(node.Inputs[1]);
        return first == second ? null : first ? node.Inputs[1] : node.Inputs[0];
    }
}
