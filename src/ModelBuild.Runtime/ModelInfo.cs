namespace ModelBuild.Runtime;

/// <summary>What a generated predictor reports about its model (the plan's <c>info</c> record).</summary>
/// <param name="SourceFile">The ONNX file name the predictor was built from.</param>
/// <param name="OriginalBytes">Size of the ONNX weights before compression.</param>
/// <param name="EmbeddedBytes">Size of the weights blob embedded in the assembly.</param>
/// <param name="Passes">The compression passes that ran, in order.</param>
public sealed record ModelInfo(string SourceFile, long OriginalBytes, long EmbeddedBytes, IReadOnlyList<string> Passes)
{
    /// <summary>One readable line, e.g. <c>mnist.onnx: 1,648.6 KiB -> 413.7 KiB embedded (4.0x smaller); passes: quantize(int8)</c>.</summary>
    public override string ToString()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var ratio = EmbeddedBytes > 0 ? string.Format(inv, " ({0:0.0}x smaller)", (double)OriginalBytes / EmbeddedBytes) : string.Empty;
        var passes = Passes.Count == 0 ? "none (float32)" : string.Join(", ", Passes);
        return string.Format(inv, "{0}: {1:N1} KiB -> {2:N1} KiB embedded{3}; passes: {4}", SourceFile, OriginalBytes / 1024.0, EmbeddedBytes / 1024.0, ratio, passes);
    }
}
