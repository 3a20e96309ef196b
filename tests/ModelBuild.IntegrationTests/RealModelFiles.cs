using System.Diagnostics;

namespace ModelBuild.IntegrationTests;

/// <summary>The real models of ../shared/realmodels, fetched (and cached) by its fetch.sh; a test skips only when the registry is unreachable.</summary>
internal static class RealModelFiles
{
    private const int RegistryUnreachable = 3;
    private static readonly Lazy<(int Code, string Output, string Error)> s_fetch = new(Fetch);

    /// <summary>The folder holding <c>&lt;name&gt;.onnx</c> for the five models.</summary>
    public static string Directory()
    {
        var (code, output, error) = s_fetch.Value;
        Skip.If(code == RegistryUnreachable, $"the real models are not available: the npm registry is unreachable ({error.Trim()})");
        Assert.True(code == 0, $"fetch.sh failed with exit code {code}: {error}");
        return output.Trim().Split('\n')[^1].Trim();
    }

    private static (int, string, string) Fetch()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(TestPaths.Shared, "realmodels", "fetch.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
