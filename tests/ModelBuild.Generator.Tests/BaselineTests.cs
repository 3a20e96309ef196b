namespace ModelBuild.Generator.Tests;

/// <summary>
/// The generated source for each test plan, compared with <c>Baselines/{Case}/{HintName}.txt</c>. After an
/// intended emitter change, run the tests with <c>MODELBUILD_UPDATE_BASELINES=1</c> and review the diff.
/// </summary>
public sealed class BaselineTests
{
    private static readonly string[] s_cases = ["Mlp", "MlpInt8", "MlpInt8Act", "Conv", "Layout", "Fixed", "Dynamic", "TwoInTwoOut"];

    public static TheoryData<string> Cases => new(s_cases);

    [Theory]
    [MemberData(nameof(Cases))]
    public void GeneratedSource_MatchesTheBaseline(string name)
    {
        var plan = Plans.Get(name);
        var source = PredictorEmitterTests.Emit(plan);
        var className = plan.Split('\n').First(l => l.StartsWith("class ", StringComparison.Ordinal))[6..];
        var path = Path.Combine(BaselineDirectory(), name, className + ".g.cs.txt");

        if (Environment.GetEnvironmentVariable("MODELBUILD_UPDATE_BASELINES") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, source);
        }

        Assert.True(File.Exists(path), "missing baseline " + path + " (set MODELBUILD_UPDATE_BASELINES=1 to create it)");
        Assert.Equal(File.ReadAllText(path), source);
    }

    [Fact]
    public void EveryBaselineFolder_HasATestCase()
    {
        var folders = Directory.GetDirectories(BaselineDirectory()).Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(s_cases.Order(StringComparer.Ordinal), folders);
    }

    private static string BaselineDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ModelBuild.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        return Path.Combine(dir.FullName, "tests", "ModelBuild.Generator.Tests", "Baselines");
    }
}
