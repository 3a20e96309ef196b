using System.Globalization;

namespace ModelBuild.IntegrationTests;

/// <summary>The way a new user meets ModelBuild: `dotnet pack`, a local feed, a PackageReference.</summary>
[Collection(DotNetBuildCollection.Name)]
public sealed class PackageTests
{
    [Fact]
    public void PackedNupkg_RestoresFromLocalFeed_AndItsPredictorMatchesOnnxRuntime()
    {
        var feed = Directory.CreateTempSubdirectory("mb-feed-").FullName;
        try
        {
            // A fresh version each run: NuGet's cache would otherwise serve an older package with the same version.
            var version = "0.1.0-ci." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
            var pack = DotNet.Run(TestPaths.RepoRoot, "pack", "src/ModelBuild/ModelBuild.csproj", "-c", TestPaths.Configuration,
                "-o", feed, $"-p:Version={version}", "-nologo");
            Assert.True(pack.Succeeded, pack.Output);
            var nupkg = Path.Combine(feed, $"ModelBuild.{version}.nupkg");
            Assert.True(File.Exists(nupkg), pack.Output);
            AssertPackageLayout(nupkg);

            using var project = ConsumerProject.FromPackage(feed, version, MnistModel.Mlp.AsConsumer());
            var build = project.Build();
            Assert.True(build.Succeeded, build.Output);

            var model = MnistModel.Mlp;
            var inputs = model.Preprocess(TestData.TestImages.AsSpan(0, 200 * 784).ToArray());
            var ours = project.Predict(model.ClassName, inputs, 200);
            var compressed = MnistModel.RunOnnxRuntime(project.OutputFile(model.ClassName, ".compressed.onnx"), inputs, true);
            var original = MnistModel.RunOnnxRuntime(model.Path, inputs, true);
            for (var i = 0; i < ours.Length; i++)
            {
                Assert.True(Math.Abs(ours[i] - compressed[i]) <= 1e-4 * Math.Max(1, Math.Abs(compressed[i])), $"output {i}: {ours[i]} vs {compressed[i]}");
            }

            Assert.True(MnistModel.Agreement(ours, original) >= 0.99);
        }
        finally
        {
            Directory.Delete(feed, recursive: true);
        }
    }

    private static void AssertPackageLayout(string nupkg)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("build/ModelBuild.props", entries);
        Assert.Contains("build/ModelBuild.targets", entries);
        Assert.Contains("build/ModelBuild.Version.props", entries);
        Assert.Contains("tasks/net10.0/ModelBuild.Tasks.dll", entries);
        Assert.Contains("tools/net10.0/modelbuild.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/ModelBuild.Generator.dll", entries);
        Assert.Contains("lib/net10.0/ModelBuild.Runtime.dll", entries);
        // MSBuild's own assemblies must never ship with a task.
        Assert.DoesNotContain(entries, e => e.Contains("Microsoft.Build.", StringComparison.Ordinal) && e.EndsWith(".dll", StringComparison.Ordinal));
    }
}
