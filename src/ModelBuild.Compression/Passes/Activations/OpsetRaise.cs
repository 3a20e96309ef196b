using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes.Activations;

/// <summary>
/// Raises a model's default-domain opset (7–10) to <see cref="Target"/> so that 8-bit activations can be written as
/// DynamicQuantizeLinear (opset 11) + MatMulInteger/ConvInteger (opset 10), when every node in the graph means the same
/// thing at the new opset. Only operators whose schema changed between the model's opset and 11 are looked at: the
/// table below lists each such change and whether it is harmless (new types, negative axes, a new attribute whose
/// default is the old behaviour), needs a rewrite, or blocks the raise.
/// </summary>
/// <remarks>
/// Source: the ONNX operator changelog (onnx/docs/Changelog.md), checked against the schemas of onnx 1.12
/// (<c>onnx.defs.get_schema(op, v)</c> for v = 7…11: attributes, inputs and outputs of every version). Operators with no
/// schema change in (model opset, 11] are unchanged and need no entry. Changes judged harmless, not listed:
/// ArgMax/ArgMin, Concat, Flatten, Gather, Hardmax, LogSoftmax, Softmax (still over the flattened tail until 13),
/// Reduce*, Split, Squeeze, Unsqueeze, Compress, OneHot at 11 (negative axes and indices allowed);
/// Cast, Constant, Equal, Greater, Less, MatMul, PRelu, Gemm at 9–11 (more types, Gemm's C optional);
/// Max, Mean, Min, Sum at 8 (numpy broadcasting, a superset of equal shapes); AveragePool and MaxPool at 10
/// (<c>ceil_mode</c>, <c>dilations</c> with the old defaults) and 8/11 (MaxPool's optional Indices; pads and
/// auto_pad wording); DepthToSpace at 11 (<c>mode</c>, default DCR = the old order); Conv, LpPool at 11 (wording).
/// </remarks>
public static class OpsetRaise
{
    /// <summary>The opset a model is raised to: DynamicQuantizeLinear's first version.</summary>
    public const long Target = 11;

    /// <summary>The lowest opset the table covers (older models keep their opset).</summary>
    public const long Lowest = 7;

    /// <summary>Per operator: the opset at which its meaning changed, and the check that says why it blocks (null: rewritable or harmless here).</summary>
    private static readonly Dictionary<string, (long ChangedAt, Func<ModelGraph, Node, string?> Check)> s_changes = new(StringComparer.Ordinal)
    {
        // BatchNormalization-9 dropped `spatial`; spatial = 1 (the default) is what 9 computes, so the attribute is removed.
        ["BatchNormalization"] = (9, (_, n) => n.GetInt("spatial", 1) != 1 ? "BatchNormalization with spatial = 0 (per-element statistics; removed in opset 9)" : null),
        // Dropout-10's mask is bool instead of the data type: harmless unless something reads the mask.
        ["Dropout"] = (10, (g, n) => n.Outputs.Count > 1 && n.Outputs[1].Length > 0 && (g.Consumers(n.Outputs[1]).Count > 0 || g.IsGraphOutput(n.Outputs[1]))
            ? "Dropout whose mask is used (its type became bool in opset 10)" : null),
        ["Slice"] = (10, (_, _) => "Slice (starts/ends/axes moved from attributes to inputs in opset 10)"),
        ["TopK"] = (10, (_, _) => "TopK (k moved from an attribute to an input in opset 10)"),
        ["Upsample"] = (10, (_, _) => "Upsample (removed in opset 10; Resize-11 has other coordinates)"),
        ["Scan"] = (9, (_, _) => "Scan (batching and axes changed in opset 9)"),
        ["Clip"] = (11, (_, _) => "Clip (min/max moved from attributes to inputs in opset 11)"),
        ["Pad"] = (11, (_, _) => "Pad (pads/value moved from attributes to inputs in opset 11)"),
        ["Resize"] = (11, (_, _) => "Resize (opset 11 added coordinate_transformation_mode, default half_pixel instead of asymmetric)"),
        ["Scatter"] = (11, (_, _) => "Scatter (deprecated in opset 11)"),
        ["ConvTranspose"] = (11, (_, n) => n.GetString("auto_pad", "NOTSET") is "SAME_UPPER" or "SAME_LOWER"
            ? "ConvTranspose with auto_pad SAME_* (opset 11 redefined its output padding)" : null),
        ["MaxUnpool"] = (11, (_, _) => "MaxUnpool (schema revised in opset 11; not checked)"),
        ["NonMaxSuppression"] = (11, (_, _) => "NonMaxSuppression (schema revised in opset 11; not checked)"),
        ["If"] = (11, (_, _) => "If (subgraphs are not checked)"),
        ["Loop"] = (11, (_, _) => "Loop (subgraphs are not checked)"),
    };

    /// <summary>
    /// Why <paramref name="graph"/>'s default opset cannot be raised to <see cref="Target"/>, or null when it can (or is
    /// already there): the first node whose operator changed meaning between the two opsets, named.
    /// </summary>
    public static string? Refusal(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var from = graph.DefaultOpset;
        if (from >= Target)
        {
            return null;
        }

        if (from < Lowest)
        {
            return $"opset {from} is older than {Lowest}, which the opset table starts at";
        }

        foreach (var node in graph.Nodes.Where(n => n.IsDefaultDomain))
        {
            if (node.Attributes.Exists(a => a.Kind == AttributeKind.Opaque))
            {
                return $"{node.OpType} '{node.Name}' has a subgraph or sparse attribute, which is not checked";
            }

            if (s_changes.TryGetValue(node.OpType, out var change) && change.ChangedAt > from && change.Check(graph, node) is { } reason)
            {
                return $"{reason}: '{node.Name}'";
            }
        }

        return null;
    }

    /// <summary>
    /// Raises <paramref name="graph"/>'s default opset to <see cref="Target"/> when <see cref="Refusal"/> is null,
    /// removing attributes the new versions dropped; returns the opset it had, or null when nothing was changed.
    /// </summary>
    public static long? Apply(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var from = graph.DefaultOpset;
        if (from >= Target || Refusal(graph) is not null)
        {
            return null;
        }

        if (from < 9)
        {
            foreach (var bn in graph.Nodes.Where(n => n.IsDefaultDomain && n.OpType == "BatchNormalization"))
            {
                bn.Attributes.RemoveAll(a => a.Name == "spatial"); // = 1 here (Refusal), which is opset 9's only behaviour
            }
        }

        graph.Opsets.RemoveAll(o => o.Domain is "" or "ai.onnx");
        graph.Opsets.Insert(0, new OpsetImport("", Target));

        // IR version 6 is the first whose opset range includes 11 (onnx/docs/Versioning.md); ONNX Runtime checks the pair.
        graph.IrVersion = Math.Max(graph.IrVersion, 6);
        return from;
    }
}
