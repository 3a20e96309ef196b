namespace ModelBuild.Conformance.Tests;

/// <summary>Where the generated ONNX node tests live (never committed: generate-node-tests.sh writes them).</summary>
internal static class NodeTestFolder
{
    public const string Script = "tests/ModelBuild.Conformance.Tests/generate-node-tests.sh";

    /// <summary>$MODELBUILD_NODE_TESTS, else ~/.cache/modelbuild-node-tests: the script's default, so both agree.</summary>
    public static string Root =>
        Environment.GetEnvironmentVariable("MODELBUILD_NODE_TESTS") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "modelbuild-node-tests");

    /// <summary>The test folders (DIR/node/test_*), sorted; fails (never skips) when they were not generated.</summary>
    public static IReadOnlyList<string> RequireTests()
    {
        var node = Path.Combine(Root, "node");
        var tests = Directory.Exists(node) ? Directory.GetDirectories(node, "test_*") : [];
        if (tests.Length == 0)
        {
            Assert.Fail($"The ONNX node tests are missing: no '{node}/test_*' folders. Generate them with `{Script}` "
                + "(run from the repository root; it installs Debian's python3-onnx when needed), or point MODELBUILD_NODE_TESTS at a generated folder.");
        }

        Array.Sort(tests, StringComparer.Ordinal);
        return tests;
    }

    /// <summary>One test folder by name (e.g. "test_relu"), for the converter's unit tests.</summary>
    public static string Require(string name)
    {
        var path = RequireTests().FirstOrDefault(t => Path.GetFileName(t) == name);
        Assert.True(path is not null, $"node test '{name}' is not in {Root}; regenerate with `{Script}`.");
        return path!;
    }
}
