using ModelBuild.Graph;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>How Einsum equations resolve to label ids (what the lowering hands to EinsumOp and shape inference uses).</summary>
public sealed class EinsumEquationTests
{
    [Fact]
    public void Explicit_TwoOperands_WhitespaceIgnored()
    {
        var e = EinsumEquation.Parse("bij, bjk -> bik", [3, 3]);
        Assert.Equal([0, 1, 2], e.Operands[0]);
        Assert.Equal([0, 2, 3], e.Operands[1]);
        Assert.Equal([0, 1, 3], e.Output);
        Assert.Equal(4, e.LabelCount);
    }

    [Fact]
    public void Implicit_OutputIsTheLabelsSeenOnce_InAsciiOrder()
    {
        var transpose = EinsumEquation.Parse("ji", [2]);                      // implicit "ji" means "ji->ij"
        Assert.Equal([1, 0], transpose.Operands[0]);
        Assert.Equal([0, 1], transpose.Output);
        Assert.Empty(EinsumEquation.Parse("i,i", [1, 1]).Output);             // inner product
        Assert.Empty(EinsumEquation.Parse("ii", [2]).Output);                 // trace
        Assert.Equal([0, 1], EinsumEquation.Parse("Ba", [2]).Operands[0]);   // 'B' < 'a' in ASCII
    }

    [Fact]
    public void Ellipsis_IsRightAligned_AndComesFirstInAnImplicitOutput()
    {
        var e = EinsumEquation.Parse("...ij,...jk", [4, 3]);
        // Ellipsis labels 0, 1; i=2, j=3, k=4. The second operand has one ellipsis dim: the last one.
        Assert.Equal([0, 1, 2, 3], e.Operands[0]);
        Assert.Equal([1, 3, 4], e.Operands[1]);
        Assert.Equal([0, 1, 2, 4], e.Output);

        var diagonal = EinsumEquation.Parse("...ii ->...i", [3]);
        Assert.Equal([0, 1, 1], diagonal.Operands[0]);
        Assert.Equal([0, 1], diagonal.Output);
    }

    [Theory]
    [InlineData("ij->ji", 3)]           // rank mismatch
    [InlineData("ij,jk->ik", 2)]        // two terms for one operand
    [InlineData("ij->k", 2)]            // output label not in the inputs
    [InlineData("ij->ii", 2)]           // repeated output label
    [InlineData("i1->i", 2)]            // not a letter
    public void Malformed_Throws(string equation, int rank)
    {
        Assert.Throws<FormatException>(() => EinsumEquation.Parse(equation, [rank]));
    }
}
