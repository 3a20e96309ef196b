namespace ModelBuild.Graph.Tests;

/// <summary>The repository root (the folder holding ModelBuild.sln) and the shared models and data beside it.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Model(string fileName) => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models", fileName));

    public static string MnistImages => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "mnist", "t10k-images-idx3-ubyte.gz"));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelBuild.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ModelBuild.sln not found above " + AppContext.BaseDirectory);
    }
}
