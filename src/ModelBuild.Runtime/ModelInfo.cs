namespace ModelBuild.Runtime;

/// <summary>What a generated predictor reports about its model (the plan's <c>info</c> record).</summary>
/// <param name="SourceFile">The ONNX file name the predictor was built from.</param>
/// <param name="OriginalBytes">Size of the ONNX weights before compression.</param>
/// <param name="EmbeddedBytes">Size of the weights blob embedded in the assembly.</param>
/// <param name="Passes">The compression passes that ran, in order.</param>
public sealed record ModelInfo(string SourceFile, long OriginalBytes, long EmbeddedBytes, IReadOnlyList<string> Passes)
{
    /// <summary>One readable line, e.g. <c>mnist.onnx: 1.61 MiB -> 413.7 KiB embedded (4.0x smaller); passes: quantize(int8)</c>.</summary>
    public override string ToString()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var ratio = EmbeddedBytes > 0 ? string.Format(inv, " ({0:0.0}x smaller)", (double)OriginalBytes / EmbeddedBytes) : string.Empty;
        var passes = Passes.Count == 0 ? "none (float32)" : string.Join(", ", Passes);
        return string.Format(inv, "{0}: {1} -> {2} embedded{3}; passes: {4}", SourceFile, FormatBytes(OriginalBytes), FormatBytes(EmbeddedBytes), ratio, passes);
    }

    /// <summary>
    /// A size in binary units, invariant culture: <c>512 B</c>, <c>413.7 KiB</c>, <c>1.61 MiB</c>, <c>2.53 GiB</c>. The
    /// one form of the build's summary line, the report's headline and this class, so the log and the report agree.
    /// </summary>
    /// <param name="bytes">A size in bytes (not negative).</param>
    public static string FormatBytes(long bytes)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return bytes switch
        {
            < 1024 => bytes.ToString(inv) + " B",
            < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", inv) + " KiB",
            < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.00", inv) + " MiB",
            _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.00", inv) + " GiB",
        };
    }
}
