using ModelBuild.Onnx;

namespace ModelBuild.Graph;

/// <summary>
/// Attribute values ONNX defines only within a range (strides ≥ 1, Gemm's transB 0 or 1, ...). Checked once at import,
/// so no pass divides by a zero stride or reads transB = 2 one way in one place and another way elsewhere.
/// </summary>
internal static class AttributeRanges
{
    private static readonly string[] s_windowOps = ["Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool"];

    public static void Check(Node node, string? file)
    {
        if (!node.IsDefaultDomain)
        {
            return;
        }

        if (s_windowOps.Contains(node.OpType))
        {
            AtLeast(node, "strides", 1, file);
            AtLeast(node, "dilations", 1, file);
            AtLeast(node, "kernel_shape", 1, file);
            AtLeast(node, "pads", 0, file);
            AtLeast(node, "group", 1, file);
        }

        if (node.OpType == "Gemm")
        {
            ZeroOrOne(node, "transA", file);
            ZeroOrOne(node, "transB", file);
        }

        if (node.OpType is "MaxPool" or "AveragePool")
        {
            ZeroOrOne(node, "ceil_mode", file);
        }
    }

    private static void AtLeast(Node node, string name, long min, string? file)
    {
        if (node.Attribute(name) is not { } a)
        {
            return;
        }

        var values = a.Kind switch
        {
            AttributeKind.Int => [a.Int],
            AttributeKind.Ints => a.Ints,
            _ => throw Invalid(node, name, $"is a {a.Kind} attribute, not integers", file),
        };
        if (values.Any(v => v < min))
        {
            throw Invalid(node, name, FormattableString.Invariant($"is [{string.Join(", ", values)}]; every value must be at least {min}"), file);
        }
    }

    private static void ZeroOrOne(Node node, string name, string? file)
    {
        if (node.Attribute(name) is { } a && (a.Kind != AttributeKind.Int || a.Int is not (0 or 1)))
        {
            throw Invalid(node, name, a.Kind == AttributeKind.Int ? FormattableString.Invariant($"is {a.Int}; it must be 0 or 1") : "must be the integer 0 or 1", file);
        }
    }

    private static ModelBuildException Invalid(Node node, string name, string problem, string? file) =>
        new(OnnxErrors.InvalidModel, file,
            $"node '{node.Name}' ({node.OpType}): attribute '{name}' {problem}. The file is invalid; re-export the model or check it with onnx.checker.check_model.");
}
