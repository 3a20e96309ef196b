using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Xml.Linq;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Architecture;

/// <summary>
/// ModelBuild.Compression must not reach ONNX Runtime: it owns interfaces (Contracts/) that ModelBuild.Evaluation
/// implements. Checked three ways: the compiled assembly's references, the project references, the restored packages.
/// </summary>
public sealed class DependencyDirectionTests
{
    private static readonly string[] Forbidden = ["ModelBuild.Evaluation", "Microsoft.ML.OnnxRuntime"];

    [Fact]
    public void Compression_assembly_references_neither_Evaluation_nor_OnnxRuntime_even_transitively()
    {
        var reached = ReferenceClosure(typeof(CompressionPipeline).Assembly);

        Assert.Contains("ModelBuild.Graph", reached); // the walk does follow references
        Assert.Contains("ModelBuild.Runtime", reached);
        Assert.DoesNotContain(reached, name => Forbidden.Any(f => name.StartsWith(f, StringComparison.Ordinal)));
    }

    [Fact]
    public void The_reference_walk_does_find_OnnxRuntime_where_it_is_used()
    {
        // Control: the same walk from Evaluation, which does use ONNX Runtime, must see it.
        var reached = ReferenceClosure(typeof(ModelBuild.Evaluation.Services.EvaluationServices).Assembly);

        Assert.Contains(reached, name => name.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal));
    }

    [Fact]
    public void Compression_project_references_lead_to_neither_Evaluation_nor_OnnxRuntime()
    {
        var projects = ProjectClosure(Path.Combine(TestPaths.RepoRoot, "src", "ModelBuild.Compression", "ModelBuild.Compression.csproj"));
        var packages = projects.SelectMany(p => Items(p, "PackageReference")).ToList();

        Assert.Contains(projects, p => Path.GetFileName(p) == "ModelBuild.Graph.csproj");
        Assert.DoesNotContain(projects, p => Path.GetFileName(p) == "ModelBuild.Evaluation.csproj");
        Assert.DoesNotContain(packages, p => p.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal));
    }

    [Fact]
    public void Compression_restores_no_OnnxRuntime_package()
    {
        // NuGet's view, transitive packages included: what restore resolved for the project.
        var assets = Path.Combine(TestPaths.RepoRoot, "src", "ModelBuild.Compression", "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} is missing; restore the solution first.");
        using var json = JsonDocument.Parse(File.ReadAllText(assets));
        var libraries = json.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToList();

        Assert.Contains("MathNet.Numerics", libraries);
        Assert.DoesNotContain(libraries, l => Forbidden.Any(f => l.StartsWith(f, StringComparison.Ordinal)));
    }

    /// <summary>Names of every non-framework assembly reachable from <paramref name="root"/> through its metadata references.</summary>
    private static HashSet<string> ReferenceClosure(Assembly root)
    {
        var frameworkDir = RuntimeEnvironment.GetRuntimeDirectory();
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.GetName().Name! };
        var queue = new Queue<Assembly>([root]);
        while (queue.TryDequeue(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (!seen.Add(reference.Name!) || Forbidden.Any(f => reference.Name!.StartsWith(f, StringComparison.Ordinal)))
                {
                    continue; // a forbidden name is recorded; no need to load it
                }

                var loaded = Assembly.Load(reference);
                if (!loaded.Location.StartsWith(frameworkDir, StringComparison.Ordinal))
                {
                    queue.Enqueue(loaded);
                }
            }
        }

        return seen;
    }

    /// <summary>The project and every project it references, directly or not (full paths).</summary>
    internal static List<string> ProjectClosure(string project)
    {
        var result = new List<string>();
        var queue = new Queue<string>([Path.GetFullPath(project)]);
        while (queue.TryDequeue(out var path))
        {
            if (result.Contains(path))
            {
                continue;
            }

            result.Add(path);
            foreach (var reference in Items(path, "ProjectReference"))
            {
                queue.Enqueue(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, reference)));
            }
        }

        return result;
    }

    /// <summary>The <c>Include</c> of every item of <paramref name="kind"/> in a project file.</summary>
    internal static IEnumerable<string> Items(string project, string kind) =>
        XDocument.Load(project).Descendants(kind).Select(e => (string?)e.Attribute("Include")).OfType<string>();
}
