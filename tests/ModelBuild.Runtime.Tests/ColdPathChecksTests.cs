using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The argument checks and shape helpers that cold-start work (issue 12) rewrote without generic CoreLib helpers
/// (Enum.IsDefined&lt;T&gt;, Span.Fill, Span.Contains), checked against those helpers as the reference.
/// </summary>
public sealed class ColdPathChecksTests
{
    public static TheoryData<int> UnaryCodes() => Codes(Enum.GetValues<UnaryFunction>().Length);

    public static TheoryData<int> BinaryCodes() => Codes(Enum.GetValues<BinaryFunction>().Length);

    [Theory]
    [MemberData(nameof(UnaryCodes))]
    public void Unary_RejectsExactlyTheUndefinedFunctions(int code)
    {
        var f = (UnaryFunction)code;
        float[] x = [0.25f, -0.5f];
        var y = new float[2];
        if (Enum.IsDefined(f))
        {
            Kernels.Unary(f, x, y, 0.1f, 0.9f); // any defined function runs
        }
        else
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Unary(f, x, y, 0.1f, 0.9f));
        }
    }

    [Theory]
    [MemberData(nameof(BinaryCodes))]
    public void Binary_RejectsExactlyTheUndefinedFunctions(int code)
    {
        var f = (BinaryFunction)code;
        float[] a = [1.5f, 2f], b = [0.5f, 4f];
        var y = new float[2];
        void Run() => Kernels.Binary(f, a, [2], true, b, [2], true, y, [2], 1);
        if (Enum.IsDefined(f))
        {
            Run();
        }
        else
        {
            Assert.Throws<ArgumentOutOfRangeException>(Run);
        }
    }

    [Theory]
    [InlineData(new[] { 3, 0, 2 })]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 2, 2, 0 })]
    public void Binary_EmptyShape_WritesNothing(int[] shape)
    {
        // No element: the kernel returns before touching y (the sentinel stays).
        float[] y = [42f];
        Kernels.Binary(BinaryFunction.Add, [], shape, true, [], shape, true, y, shape, 1);
        Assert.Equal(42f, y[0]);
    }

    [Theory]
    [InlineData(new int[0], 3)]
    [InlineData(new[] { 5 }, 1)]
    [InlineData(new[] { 4, 7 }, 4)]
    [InlineData(new[] { 2, 3, 4 }, 3)]
    public void PadLeft_FillsLeadingDimsWithOne(int[] shape, int rank)
    {
        var padded = new int[rank];
        Array.Fill(padded, -9); // the values the helper must overwrite
        ShapeMath.PadLeft(shape, padded);
        var expected = new int[rank];
        Array.Fill(expected, 1);
        shape.CopyTo(expected, rank - shape.Length);
        Assert.Equal(expected, padded);
    }

    private static TheoryData<int> Codes(int count)
    {
        // Every defined code, and the undefined neighbours on both sides.
        var data = new TheoryData<int>();
        for (int code = -2; code <= count + 1; code++)
        {
            data.Add(code);
        }

        return data;
    }
}
