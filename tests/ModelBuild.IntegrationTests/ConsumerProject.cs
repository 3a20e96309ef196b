using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ModelBuild.IntegrationTests;

/// <summary>One model a consumer project compresses: the item line and how its predictor is called.</summary>
internal sealed record ConsumerModel(string OnnxPath, string ClassName, string? Manifest = null, bool DynamicBatch = true, string? Runtime = null);

/// <summary>
/// A throwaway user project in a temp folder that consumes ModelBuild either through the repo's build/ files
/// (exactly the package's props/targets, parts from src/*/bin) or through the packed .nupkg.
/// </summary>
internal sealed class ConsumerProject : IDisposable
{
    private static readonly string s_templates = Path.Combine(AppContext.BaseDirectory, "Consumers");

    private ConsumerProject(string directory) => Directory = directory;

    public string Directory { get; }

    public string ProjectFile => Path.Combine(Directory, "Consumer.csproj");

    public string IntermediateDir => Path.Combine(Directory, "obj", TestPaths.Configuration, "net10.0");

    public static ConsumerProject InRepo(params ConsumerModel[] models) => InRepo(onnxRuntimeFallback: false, models);

    /// <param name="onnxRuntimeFallback">Reference src/ModelBuild.OnnxRuntime, as a user adds the ModelBuild.OnnxRuntime package.</param>
    /// <param name="models">The OnnxModel items.</param>
    public static ConsumerProject InRepo(bool onnxRuntimeFallback, params ConsumerModel[] models)
    {
        var project = new ConsumerProject(System.IO.Directory.CreateTempSubdirectory("mb-consumer-").FullName);
        var fallback = onnxRuntimeFallback ? "    <ProjectReference Include=\"{REPO}/src/ModelBuild.OnnxRuntime/ModelBuild.OnnxRuntime.csproj\" />\n" : "";
        project.Write("Consumer.csproj", Template("InRepo.csproj.txt")
            .Replace("{MODELS}", fallback + ModelItems(models))
            .Replace("{REPO}", TestPaths.RepoRoot.TrimEnd('/')));
        project.WriteProgram(models);
        return project;
    }

    public static ConsumerProject FromPackage(string feed, string version, params ConsumerModel[] models)
    {
        var project = new ConsumerProject(System.IO.Directory.CreateTempSubdirectory("mb-pkgconsumer-").FullName);
        project.Write("Consumer.csproj", Template("Package.csproj.txt")
            .Replace("{PACKAGES}", Path.Combine(project.Directory, "packages"))
            .Replace("{VERSION}", version)
            .Replace("{MODELS}", ModelItems(models)));
        project.Write("nuget.config", Template("nuget.config.txt").Replace("{FEED}", feed));
        project.WriteProgram(models);
        return project;
    }

    public void Write(string relativePath, string text)
    {
        var path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public DotNet.Result Build(params string[] extra) =>
        DotNet.Run(Directory, ["build", ProjectFile, "-c", TestPaths.Configuration, "-v:n", "-nologo", .. extra]);

    /// <summary>Runs the built consumer on <paramref name="inputs"/> (count samples) and returns its outputs.</summary>
    public float[] Predict(string className, float[] inputs, int count)
    {
        var inFile = Path.Combine(Directory, "in.f32");
        var outFile = Path.Combine(Directory, "out.f32");
        File.WriteAllBytes(inFile, MemoryMarshal.AsBytes(inputs.AsSpan()).ToArray());
        var dll = Path.Combine(Directory, "bin", TestPaths.Configuration, "net10.0", "Consumer.dll");
        var run = DotNet.Run(Directory, dll, className, inFile, count.ToString(CultureInfo.InvariantCulture), outFile);
        Assert.True(run.Succeeded, run.Output);
        return MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(outFile)).ToArray();
    }

    public string OutputFile(string className, string extension) =>
        Path.Combine(IntermediateDir, "modelbuild", className, className + extension);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A process that still holds a file must not fail the test; the temp folder is cleaned by the OS.
        }
    }

    private static string Template(string name) => File.ReadAllText(Path.Combine(s_templates, name));

    private static string ModelItems(IEnumerable<ConsumerModel> models) => string.Join("\n", models.Select(m =>
        $"    <OnnxModel Include=\"{m.OnnxPath}\" ClassName=\"{m.ClassName}\" Namespace=\"Consumer.Models\""
        + (m.Manifest is null ? "" : $" Manifest=\"{m.Manifest}\"") + (m.Runtime is null ? "" : $" Runtime=\"{m.Runtime}\"") + " />"));

    private void WriteProgram(IEnumerable<ConsumerModel> models)
    {
        var cases = new StringBuilder();
        foreach (var m in models)
        {
            var type = "Consumer.Models." + m.ClassName;
            cases.AppendLine($"    case \"{m.ClassName}\":");
            cases.AppendLine("    {");
            cases.AppendLine($"        var model = new {type}();");
            cases.AppendLine($"        output = new float[count * {type}.OutputElementsPerSample];");
            if (m.DynamicBatch)
            {
                // The whole set in one call exercises the dynamic batch dimension.
                cases.AppendLine("        model.Predict(input, output, count);");
            }
            else
            {
                cases.AppendLine($"        var inN = {type}.InputElementsPerSample; var outN = {type}.OutputElementsPerSample;");
                cases.AppendLine("        for (var i = 0; i < count; i++) model.Predict(input.AsSpan(i * inN, inN), output.AsSpan(i * outN, outN));");
            }

            cases.AppendLine("        break;");
            cases.AppendLine("    }");
        }

        Write("Program.cs", Template("Program.cs.txt").Replace("{CASES}", cases.ToString().TrimEnd('\n')));
    }
}
