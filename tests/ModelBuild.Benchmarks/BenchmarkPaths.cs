namespace ModelBuild.Benchmarks;

/// <summary>Where the benchmarks find the models they compare against ONNX Runtime.</summary>
internal static class BenchmarkPaths
{
    /// <summary>The shared folder beside the repository (../shared, holding models/).</summary>
    public static string SharedDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelBuild.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
            }
        }

        throw new DirectoryNotFoundException("ModelBuild.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The real models fetched by ../shared/realmodels/fetch.sh ($MODELBUILD_REALMODELS or the default cache).</summary>
    public static string RealModelsDir() =>
        Environment.GetEnvironmentVariable("MODELBUILD_REALMODELS") is { Length: > 0 } dir ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "modelbuild-realmodels");
}
