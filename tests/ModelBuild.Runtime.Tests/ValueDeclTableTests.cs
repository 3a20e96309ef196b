using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>The compact value table generated programs declare their values with (<see cref="ValueDecl.Table"/>).</summary>
public sealed class ValueDeclTableTests
{
    [Fact]
    public void Table_gives_the_declarations_the_per_value_calls_give()
    {
        ValueDecl[] values = ValueDecl.Table("inputwé_1ids", [0, 0, 3, 5, 0, 1, 0, 7, 4, 2, 16, 8, 2, 1, 0, 3, 1, 4], 3);

        Assert.Equal(ValueDecl.Activation("input", TensorType.Float32, 3), values[0] with { Shape = values[0].Shape });
        Assert.Equal("wé_1", values[1].Name);
        Assert.Equal(7, values[1].BlobEntry);
        Assert.Equal([16, 8], values[1].Shape);
        Assert.Equal(-1, values[1].Slot);
        Assert.Null(values[2]); // an inline constant: the generated code sets it
    }

    [Theory]
    [InlineData(new[] { 0, 0, 0, 5 })] // ends inside an entry
    [InlineData(new[] { 0, 9, 0, 5, 0 })] // unknown TensorType
    [InlineData(new[] { 0, 0, 0, 50, 0 })] // name longer than the names
    [InlineData(new[] { 1, 0, 0, 5, 3, 1 })] // rank past the end
    [InlineData(new[] { 7, 0, 0, 5, 0 })] // unknown kind
    public void Malformed_tables_are_refused(int[] fields)
    {
        Assert.Throws<ArgumentException>(() => ValueDecl.Table("input", fields, 1));
    }
}
