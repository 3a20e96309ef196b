namespace ModelBuild.Compression.Tests.Support;

/// <summary>Finds the repository root (the folder with ModelBuild.sln) and the shared models and data beside it.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string SharedDir => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Model(string fileName) => Path.Combine(SharedDir, "models", fileName);

    public static string MnistDir => Path.Combine(SharedDir, "data", "mnist");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelBuild.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ModelBuild.sln not found above {AppContext.BaseDirectory}.");
    }
}
