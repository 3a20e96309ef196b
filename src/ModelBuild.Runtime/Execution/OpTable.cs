namespace ModelBuild.Runtime.Execution;

/// <summary>
/// Constructs operator number <paramref name="form"/>'s record from the next arguments of an op table: generated code
/// has one constructor call with named arguments per operator kind and argument list (a "form"), so the C# compiler
/// still checks every key and type, and the values live in data.
/// </summary>
public delegate Op OpFactory(int form, ref OpArgs args);

/// <summary>
/// A program's operators read from the compact table generated code emits, instead of one constructor call per
/// operator: the generated method that builds them is JIT-compiled in every process's first prediction, and with a
/// call per operator it cost ≈ 10 ms on a 189-operator model (ppocr_det), about a sixth of its cold start (issue 12).
/// </summary>
/// <remarks>
/// Per operator, <c>table</c> holds its form, its ONNX node name (offset and length in UTF-16 units into
/// <c>strings</c>) and its argument count, then each argument as an <see cref="OpArgKind"/> tag and its payload:
/// <list type="bullet">
/// <item><see cref="OpArgKind.Int"/>, <see cref="OpArgKind.Enum"/>: the value.</item>
/// <item><see cref="OpArgKind.Long"/>: low and high 32 bits.</item>
/// <item><see cref="OpArgKind.False"/>, <see cref="OpArgKind.True"/>: nothing.</item>
/// <item><see cref="OpArgKind.String"/>: offset and length into <c>strings</c>.</item>
/// <item><see cref="OpArgKind.Float"/>: its index in <c>floats</c>; <see cref="OpArgKind.FloatList"/>: the index of
/// its first value in <c>floats</c> and the count. <c>floats</c> is a span of float literals in generated code, so
/// the C# compiler parses each (correctly rounded, whatever host it runs on) and nothing is parsed at run time: a
/// run-time <c>float.Parse</c> initialised the invariant culture's number formats, ≈ 3 ms of a first prediction.</item>
/// <item><see cref="OpArgKind.IntList"/>: the count, then the values; <see cref="OpArgKind.LongList"/>: the count,
/// then low and high 32 bits of each.</item>
/// </list>
/// </remarks>
public static class OpTable
{
    /// <summary>Builds <paramref name="count"/> operators, checking that each factory call read exactly its arguments.</summary>
    /// <param name="strings">Node names and string arguments, concatenated.</param>
    /// <param name="table">The table described above.</param>
    /// <param name="floats">The float arguments, referenced by index from <paramref name="table"/>.</param>
    /// <param name="count">Number of operators.</param>
    /// <param name="create">The generated constructor calls, by form.</param>
    /// <exception cref="InvalidOperationException">The table is malformed or does not match the factory (a generator fault).</exception>
    public static Op[] Read(string strings, ReadOnlySpan<int> table, ReadOnlySpan<float> floats, int count, OpFactory create)
    {
        ArgumentNullException.ThrowIfNull(strings);
        ArgumentNullException.ThrowIfNull(create);
        var ops = new Op[count];
        var args = new OpArgs(strings, table, floats);
        for (int i = 0; i < count; i++)
        {
            int form = args.Header(i, out int argCount);
            ops[i] = create(form, ref args);
            args.EndOperator(argCount);
        }

        if (args.Position != table.Length)
        {
            throw Malformed($"{table.Length - args.Position} values follow the last of the {count} operators");
        }

        return ops;
    }

    /// <summary>The exception generated code throws for a form it does not have.</summary>
    public static InvalidOperationException UnknownForm(int form) => Malformed($"no constructor for form {form}");

    internal static InvalidOperationException Malformed(string reason) =>
        new($"The generated operator table is malformed ({reason}); rebuild the project to regenerate it.");
}

/// <summary>The tags of <see cref="OpTable"/>'s argument values (the generator writes the same numbers).</summary>
public enum OpArgKind
{
    /// <summary>A 32-bit integer (converts to int, long and float parameters).</summary>
    Int = 0,

    /// <summary>A 64-bit integer (long and float parameters).</summary>
    Long = 1,

    /// <summary>A float: its index in the float span.</summary>
    Float = 2,

    /// <summary><c>false</c>.</summary>
    False = 3,

    /// <summary><c>true</c>.</summary>
    True = 4,

    /// <summary>A string.</summary>
    String = 5,

    /// <summary>An enum member's value (generated code casts it to the parameter's enum type).</summary>
    Enum = 6,

    /// <summary>A list of 32-bit integers (int[], long[] and float[] parameters).</summary>
    IntList = 7,

    /// <summary>A list with 64-bit integers (long[] and float[] parameters).</summary>
    LongList = 8,

    /// <summary>A list with floats: its start and length in the float span (float[] parameters).</summary>
    FloatList = 9,
}
