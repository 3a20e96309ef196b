namespace ModelBuild.Runtime;

/// <summary>What a generated predictor reports about its model (the plan's <c>info</c> record).</summary>
/// <param name="SourceFile">The ONNX file name the predictor was built from.</param>
/// <param name="OriginalBytes">Size of the ONNX weights before compression.</param>
/// <param name="EmbeddedBytes">Size of the weights blob embedded in the assembly.</param>
/// <param name="Passes">The compression passes that ran, in order.</param>
public sealed record ModelInfo(string SourceFile, long OriginalBytes, long EmbeddedBytes, IReadOnlyList<string> Passes);
