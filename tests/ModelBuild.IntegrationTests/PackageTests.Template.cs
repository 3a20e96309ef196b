using System.Globalization;
using System.Text.RegularExpressions;

namespace ModelBuild.IntegrationTests;

/// <summary>
/// The template package: `dotnet new install` into a private hive (the user's template list is untouched),
/// `dotnet new modelbuild-console`, then build and run the new project against the ModelBuild package packed once for
/// this class (a private packages folder and only the local feed, so nothing else is downloaded).
/// </summary>
public sealed partial class PackageTests
{
    [Fact]
    public void DotnetNewModelbuildConsole_BuildsCleanFromTheLocalFeed_AndPredictsWhatOnnxRuntimePredicts()
    {
        var work = Directory.CreateTempSubdirectory("mb-template-").FullName;
        try
        {
            var pack = DotNet.Run(TestPaths.RepoRoot, "pack", Path.Combine("src", "ModelBuild.Templates"), "-c", TestPaths.Configuration,
                "-o", work, $"-p:PackageVersion={package.Version}", "--no-restore", "-nologo");
            Assert.True(pack.Succeeded, pack.Output);
            var hive = Path.Combine(work, "hive");
            var install = DotNet.Run(work, "new", "install", Path.Combine(work, $"ModelBuild.Templates.{package.Version}.nupkg"), "--debug:custom-hive", hive);
            Assert.True(install.Succeeded, install.Output);
            Assert.Contains("modelbuild-console", install.Output);
            var app = Path.Combine(work, "DigitApp");
            var create = DotNet.Run(work, "new", "modelbuild-console", "-n", "DigitApp", "-o", app, "--debug:custom-hive", hive);
            Assert.True(create.Succeeded, create.Output);

            // What the user gets: the project, the model, a manifest whose $schema names the schema beside it.
            Assert.Equal(
                ["DigitApp.csproj", "Models/README.md", "Models/mnist-8.compress.json", "Models/mnist-8.onnx", "Models/modelbuild.schema.json", "Program.cs"],
                Directory.GetFiles(app, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(app, f).Replace('\\', '/')).Order(StringComparer.Ordinal));
            Assert.Contains($"<PackageReference Include=\"ModelBuild\" Version=\"{package.Version}\" />", File.ReadAllText(Path.Combine(app, "DigitApp.csproj")));
            Assert.Contains("using DigitApp;", File.ReadAllText(Path.Combine(app, "Program.cs")));
            Assert.Contains("\"$schema\": \"modelbuild.schema.json\"", File.ReadAllText(Path.Combine(app, "Models", "mnist-8.compress.json")));
            Assert.Equal(File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, "docs", "modelbuild.schema.json")), File.ReadAllBytes(Path.Combine(app, "Models", "modelbuild.schema.json")));
            var model = Path.Combine(TestPaths.RepoRoot, "samples", "MnistDigits", "Data", "mnist-8.onnx");
            Assert.Equal(File.ReadAllBytes(model), File.ReadAllBytes(Path.Combine(app, "Models", "mnist-8.onnx")));

            // Beside the project, not in it: restore sees only the local feed and a private packages folder.
            File.WriteAllText(Path.Combine(work, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources><clear /><add key="local" value="{package.Feed}" /></packageSources>
                  <config><add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" /></config>
                </configuration>
                """);
            var build = DotNet.Run(app, "build", "-c", "Release", "-warnaserror", "-nologo");
            Assert.True(build.Succeeded, build.Output);
            Assert.Matches(@"mnist-8\.onnx -> DigitModel: .*cosine 1 -> 0\.99\d* \(tolerance cosine at least 0\.99\) ok", build.Output);
            var run = DotNet.Run(app, Path.Combine(app, "bin", "Release", "net10.0", "DigitApp.dll"));
            Assert.True(run.Succeeded, run.Output);

            // The reference: ONNX Runtime on the digit Program.cs draws (read from the generated file, so an edit to the
            // drawing cannot make the check stale). The printed scores (3 decimals) match the compressed .onnx, and the
            // predicted digit is the original fp32 model's answer.
            var pixels = Pixels(File.ReadAllText(Path.Combine(app, "Program.cs")));
            var compressed = MnistModel.RunOnnxRuntime(Path.Combine(app, "obj", "Release", "net10.0", "modelbuild", "DigitModel", "DigitModel.compressed.onnx"), pixels, false);
            var original = MnistModel.RunOnnxRuntime(model, pixels, false);
            var printed = Regex.Match(run.Output, @"Scores 0-9: (?<s>.*)").Groups["s"].Value.Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(10, printed.Length);
            for (var d = 0; d < 10; d++)
            {
                Assert.True(Math.Abs(printed[d] - compressed[d]) <= 5e-4 + (1e-4 * Math.Abs(compressed[d])), $"digit {d}: printed {printed[d]}, ONNX Runtime {compressed[d]}\n{run.Output}");
            }

            Assert.Contains($"Predicted digit: {MnistModel.ArgMax(original)}", run.Output);
            Assert.Contains("mnist-8.onnx: 25.8 KiB -> ", run.Output); // ModelInfo.ToString()
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The 14×14 text drawing in the template's Program.cs as the 28×28 input it builds (2×2 pixels a cell).</summary>
    private static float[] Pixels(string program)
    {
        var rows = Regex.Matches(program, "\"(?<row>[.#]{14})\",").Select(m => m.Groups["row"].Value).ToArray();
        Assert.Equal(14, rows.Length);
        var pixels = new float[784];
        for (var i = 0; i < 784; i++)
        {
            pixels[i] = rows[i / 28 / 2][i % 28 / 2] == '#' ? 1f : 0f;
        }

        return pixels;
    }
}
