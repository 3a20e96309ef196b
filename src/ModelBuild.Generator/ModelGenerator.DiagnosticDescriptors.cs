using Microsoft.CodeAnalysis;

namespace ModelBuild.Generator;

public sealed partial class ModelGenerator
{
    private const string Category = "ModelBuild";

    private static readonly DiagnosticDescriptor s_unsupportedVersion = new(
        DiagnosticIds.UnsupportedVersion,
        "Model plan version not supported",
        "{0}. The plan was written by a different ModelBuild version: use the same version for the package and the build, then rebuild.",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor s_malformedPlan = new(
        DiagnosticIds.MalformedPlan,
        "Malformed model plan",
        "Malformed model plan: {0}. Plans are written by the ModelBuild compression step; delete the obj folder and rebuild to regenerate it.",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor s_unknownOp = new(
        DiagnosticIds.UnknownOp,
        "Unknown op in model plan",
        "{0}. The plan needs a newer ModelBuild generator: use the same version for the package and the build, then rebuild.",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    internal static DiagnosticDescriptor Descriptor(string id) => id switch
    {
        DiagnosticIds.UnsupportedVersion => s_unsupportedVersion,
        DiagnosticIds.UnknownOp => s_unknownOp,
        _ => s_malformedPlan,
    };
}
