namespace ModelBuild.Graph.Inference;

/// <summary>Error codes raised by shape inference (see README.md, "Error codes").</summary>
public static class InferenceErrors
{
    /// <summary>Two shapes that must agree do not (Gemm inner dimensions, Concat, broadcasting, ...).</summary>
    public const string InconsistentShapes = "MB3002";
}
