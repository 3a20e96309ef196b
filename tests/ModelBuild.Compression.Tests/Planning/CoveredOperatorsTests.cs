using ModelBuild.Compression.Planning.Lowering;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Planning;

public sealed class CoveredOperatorsTests
{
    [Fact]
    public void Readme_lists_exactly_the_op_types_the_lowering_table_covers()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var begin = readme.IndexOf("<!-- covered-ops:begin", StringComparison.Ordinal);
        var end = readme.IndexOf("<!-- covered-ops:end -->", StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "README.md lacks the covered-ops markers");
        var listed = readme[(readme.IndexOf('\n', begin) + 1)..end].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var expected = string.Join(", ", Lowerings.CoveredOpTypes);
        Assert.True(Lowerings.CoveredOpTypes.SequenceEqual(listed),
            "README.md's covered operators differ from Lowerings.CoveredOpTypes; paste this line between the markers:\n" + expected);
    }
}
