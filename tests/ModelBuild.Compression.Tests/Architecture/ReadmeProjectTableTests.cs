using System.Text.RegularExpressions;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Architecture;

/// <summary>README.md's project table lists each src project's references exactly as its .csproj does.</summary>
public sealed partial class ReadmeProjectTableTests
{
    [Fact]
    public void Every_src_project_has_a_row_whose_references_equal_its_csproj()
    {
        var rows = ReadmeRows();
        var projects = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .ToDictionary(p => "src/" + Path.GetFileName(Path.GetDirectoryName(p))!, StringComparer.Ordinal);

        Assert.Equal(projects.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (folder, csproj) in projects)
        {
            var expected = DependencyDirectionTests.Items(csproj, "ProjectReference").Select(ShortName)
                .Concat(DependencyDirectionTests.Items(csproj, "PackageReference"))
                .Order(StringComparer.Ordinal).ToList();
            Assert.True(expected.SequenceEqual(rows[folder].Order(StringComparer.Ordinal)),
                $"README.md lists [{string.Join(", ", rows[folder])}] for {folder}, but its .csproj references [{string.Join(", ", expected)}].");
        }
    }

    /// <summary>The references column by project folder: names split on commas, parenthesised remarks and backticks dropped.</summary>
    private static Dictionary<string, List<string>> ReadmeRows()
    {
        var rows = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(TestPaths.RepoRoot, "README.md")))
        {
            if (Row().Match(line) is { Success: true } m)
            {
                var cell = Remark().Replace(m.Groups["refs"].Value, "").Replace("`", "");
                rows.Add(m.Groups["project"].Value, cell.Split(',').Select(s => s.Trim()).Where(s => s.Length > 0 && s != "—").ToList());
            }
        }

        return rows;
    }

    /// <summary><c>../ModelBuild.Graph/ModelBuild.Graph.csproj</c> → <c>Graph</c>, as the table writes project names.</summary>
    private static string ShortName(string reference)
    {
        var name = Path.GetFileNameWithoutExtension(reference.Replace('\\', '/'));
        return name.StartsWith("ModelBuild.", StringComparison.Ordinal) ? name["ModelBuild.".Length..] : name;
    }

    // | `src/ModelBuild.X` | job | references |
    [GeneratedRegex(@"^\| `(?<project>src/[^`/]+)` \|.*\| (?<refs>[^|]*) \|$")]
    private static partial Regex Row();

    [GeneratedRegex(@"\([^)]*\)")]
    private static partial Regex Remark();
}
