using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The op table generated programs build their operators from (<see cref="OpTable"/>): each tag decodes to the value
/// the C# literal it replaces would have given, and a table that does not match its constructor calls is refused.
/// </summary>
public sealed class OpTableTests
{
    // Tags (OpArgKind): 0 int, 1 long (low, high), 2 float (index), 3 false, 4 true, 5 string, 6 enum, 7 int list, 8 long
    // list, 9 float list (start, count).
    private const string Strings = "sliceTRUNCconstresize"; // offsets 0, 5, 10, 15

    private static ReadOnlySpan<float> Floats => [float.NegativeInfinity, -0.75f, 1e-45f, 0.5f, -0f];

    private static Op Create(int form, ref OpArgs a) => form switch
    {
        0 => new SliceOp(X: a.Next(), Y: a.Next(), Starts: a.NextList(), Ends: a.NextLongs(), Axes: a.NextList(), Steps: a.NextList(),
            StartsValue: a.Next(), EndsValue: a.Next(), AxesValue: a.Next(), StepsValue: a.Next()) { Node = a.Node },
        1 => new CastOp(X: a.Next(), Y: a.Next(), RoundTo: a.NextString()) { Node = a.Node },
        2 => new ConstantOfShapeOp(Shape: a.Next(), Y: a.Next(), FloatValue: a.NextFloat(), IntValue: a.NextLong()) { Node = a.Node },
        3 => new ResizeOp(X: a.Next(), Y: a.Next(), Roi: a.Next(), Scales: a.Next(), Sizes: a.Next(), Axes: a.NextList(), Mode: (ResizeMode)a.NextEnum(),
            Coordinates: (ResizeCoordinates)a.NextEnum(), Nearest: (NearestRounding)a.NextEnum(), CubicA: a.NextFloat(), ExcludeOutside: a.NextBool(),
            ExtrapolationValue: a.Next(), AspectRatio: (AspectRatioPolicy)a.NextEnum()) { Node = a.Node },
        4 => new ConstantOfShapeOp(Shape: a.Next(), Y: a.Next(), FloatValue: a.NextFloat(), IntValue: a.Next()) { Node = a.Node },
        _ => throw OpTable.UnknownForm(form),
    };

    private static int[] Table() =>
    [
        // Slice: ints, an int list widened to long[], a long list with INT64_MAX, an empty list.
        0, 0, 5, 10, 0, 1, 0, 2, 7, 2, -1, 3, 8, 1, -1, int.MaxValue, 7, 0, 7, 1, 2, 0, -1, 0, -1, 0, -1, 0, -1,
        // Cast: a string shared with nothing else.
        1, 0, 5, 3, 0, 3, 0, 4, 5, 5, 5,
        // ConstantOfShape: float 0 (-inf), a long beyond int (2^32 + 7).
        2, 10, 5, 4, 0, 5, 0, 6, 2, 0, 1, 7, 1,
        // Resize: enums, float 1, true, an integer literal for a float parameter.
        3, 15, 6, 13, 0, 6, 0, 7, 0, -1, 0, 8, 0, -1, 7, 0, 6, (int)ResizeMode.Linear, 6, (int)ResizeCoordinates.Asymmetric,
        6, (int)NearestRounding.Floor, 2, 1, 4, 0, 3, 6, (int)AspectRatioPolicy.Stretch,
        // ConstantOfShape: float 2 (the smallest subnormal), an int widened to long.
        4, 10, 5, 4, 0, 9, 0, 10, 2, 2, 0, -5,
    ];

    [Fact]
    public void Each_tag_gives_the_value_of_the_literal_it_replaces()
    {
        var ops = OpTable.Read(Strings, Table(), Floats, 5, Create);

        var slice = Assert.IsType<SliceOp>(ops[0]);
        Assert.Equal("slice", slice.Node);
        Assert.Equal((1, 2), (slice.X, slice.Y));
        Assert.Equal([-1L, 3L], slice.Starts);
        Assert.Equal([long.MaxValue], slice.Ends);
        Assert.Empty(slice.Axes);
        Assert.Equal([2L], slice.Steps);
        Assert.Equal(-1, slice.StepsValue);

        var cast = Assert.IsType<CastOp>(ops[1]);
        Assert.Equal("TRUNC", cast.RoundTo);
        Assert.Equal("slice", cast.Node); // node names may share the string table's text

        var constant = Assert.IsType<ConstantOfShapeOp>(ops[2]);
        Assert.Equal(float.NegativeInfinity, constant.FloatValue);
        Assert.Equal((1L << 32) + 7, constant.IntValue);
        Assert.Equal("const", constant.Node);

        var resize = Assert.IsType<ResizeOp>(ops[3]);
        Assert.Equal("resize", resize.Node);
        Assert.Equal((ResizeMode.Linear, ResizeCoordinates.Asymmetric, NearestRounding.Floor, AspectRatioPolicy.Stretch),
            (resize.Mode, resize.Coordinates, resize.Nearest, resize.AspectRatio));
        Assert.Equal(-0.75f, resize.CubicA);
        Assert.True(resize.ExcludeOutside);
        Assert.Equal(3f, resize.ExtrapolationValue);

        var tiny = Assert.IsType<ConstantOfShapeOp>(ops[4]);
        Assert.Equal(float.Epsilon, tiny.FloatValue);
        Assert.Equal(-5L, tiny.IntValue);
    }

    [Theory]
    [InlineData(0, "ends before operator")] // a header cut short
    [InlineData(1, "runs past the end")] // an argument cut short
    [InlineData(2, "is a Float where its constructor call reads an integer")] // a float where the call reads an int
    [InlineData(3, "unknown kind 99")]
    [InlineData(4, "has 4 arguments in the table but its constructor read 3")]
    [InlineData(5, "no constructor for form 9")]
    [InlineData(6, "outside the")] // a node name past the string table
    [InlineData(7, "refers to floats 5–5 of the 5 in the float table")] // a float index past the float span
    public void Malformed_tables_are_refused_naming_the_fault(int fault, string message)
    {
        int[] table = fault switch
        {
            0 => [1, 0, 5],
            1 => [1, 0, 5, 3, 0, 3, 0, 4, 5, 5],
            2 => [1, 0, 5, 3, 2, 20, 5, 0, 4, 5, 5, 5],
            3 => [1, 0, 5, 3, 99, 3, 0, 4, 5, 5, 5],
            4 => [1, 0, 5, 4, 0, 3, 0, 4, 5, 5, 5, 0, 1],
            5 => [9, 0, 5, 0],
            6 => [1, 30, 10, 3, 0, 3, 0, 4, 5, 5, 5],
            _ => [2, 15, 5, 4, 0, 5, 0, 6, 2, 5, 0, 1],
        };

        var e = Assert.Throws<InvalidOperationException>(() => OpTable.Read(Strings, table, Floats, 1, Create));
        Assert.Contains(message, e.Message);
        Assert.Contains("rebuild the project", e.Message);
    }

    [Theory]
    [InlineData(3, 2, null)]
    [InlineData(4, 2, "refers to floats 4–5 of the 5 in the float table")]
    [InlineData(-1, 1, "refers to floats -1–-1 of the 5")]
    public void A_float_list_is_its_run_of_the_float_span(int start, int count, string? fault)
    {
        float[]? read = null;
        Op Make(int form, ref OpArgs a)
        {
            read = a.NextFloats();
            return new CastOp(X: 0, Y: 1, RoundTo: "") { Node = a.Node };
        }

        int[] table = [0, 0, 5, 1, 9, start, count];
        if (fault is not null)
        {
            Assert.Contains(fault, Assert.Throws<InvalidOperationException>(() => OpTable.Read(Strings, table, Floats, 1, Make)).Message);
            return;
        }

        OpTable.Read(Strings, table, Floats, 1, Make);
        Assert.Equal([0.5f, -0f], read);
        Assert.True(float.IsNegative(read![1])); // the compiler keeps the sign of -0f
    }

    [Fact]
    public void Words_after_the_last_operator_are_refused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => OpTable.Read(Strings, [1, 0, 5, 3, 0, 3, 0, 4, 5, 5, 5, 0], Floats, 1, Create));
        Assert.Contains("1 values follow the last of the 1 operators", e.Message);
    }
}
