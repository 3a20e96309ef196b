using System.Diagnostics;

namespace ModelBuild.IntegrationTests;

/// <summary>The CLI as a .NET tool: packed, installed from a local feed with `dotnet tool install`, and run.</summary>
[Collection(DotNetPackCollection.Name)]
public sealed class ToolPackageTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("mb-tool-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public void Tool_packs_installs_from_a_local_feed_and_inspects_a_model_on_any_host()
    {
        var feed = Path.Combine(_work.FullName, "feed");
        var tools = Path.Combine(_work.FullName, "tools");
        var version = "0.1.0-tool." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        var pack = DotNet.Run(TestPaths.RepoRoot, "pack", Path.Combine("src", "ModelBuild.Cli"), "-c", TestPaths.Configuration,
            "-p:ModelBuild_PackCli=true", $"-p:PackageVersion={version}", "--no-restore", "-o", feed, "-nologo");
        Assert.True(pack.Succeeded, pack.Output);

        // Portable: ONNX Runtime's native library for each host it publishes, nothing for mobile platforms.
        using (var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"ModelBuild.Cli.{version}.nupkg")))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            foreach (var rid in new[] { "linux-x64", "linux-arm64", "osx-arm64", "win-x64", "win-arm64" })
            {
                Assert.Contains(entries, e => e.StartsWith($"tools/net10.0/any/runtimes/{rid}/native/", StringComparison.Ordinal) && e.Contains("onnxruntime.", StringComparison.Ordinal));
            }

            Assert.DoesNotContain(entries, e => e.Contains("/runtimes/android/", StringComparison.Ordinal) || e.Contains("/runtimes/ios/", StringComparison.Ordinal));
        }

        var install = DotNet.Run(_work.FullName, "tool", "install", "ModelBuild.Cli", "--version", version, "--add-source", feed, "--tool-path", tools);
        Assert.True(install.Succeeded, install.Output);

        var inspect = Process.Start(new ProcessStartInfo(Path.Combine(tools, "modelbuild"), ["inspect", TestPaths.Model("mnist-8.onnx")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var error = inspect.StandardError.ReadToEndAsync();
        var output = inspect.StandardOutput.ReadToEnd();
        inspect.WaitForExit();
        Assert.True(inspect.ExitCode == 0, output + error.Result);
        Assert.Contains("covers all 8 nodes", output);
    }
}
