namespace ModelBuild.Evaluation.Tests;

/// <summary>Finds the repository root (the folder with ModelBuild.sln) and the shared data beside it.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string MnistDir => Path.Combine(Shared, "data", "mnist");

    public static string Model(string fileName) => Path.Combine(Shared, "models", fileName);

    public static string Mnist(string fileName) => Path.Combine(MnistDir, fileName);

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

/// <summary>A scratch folder removed on dispose.</summary>
internal sealed class ScratchDir : IDisposable
{
    public ScratchDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mb-eval-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder does not affect any result.
        }
    }
}
