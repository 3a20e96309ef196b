namespace ModelBuild.Runtime.Execution;

/// <summary>Reads one operator's arguments from an <see cref="OpTable"/> in order (generated factories call <see cref="Next"/>).</summary>
public ref struct OpArgs
{
    private readonly string _strings;
    private readonly ReadOnlySpan<int> _table;
    private readonly ReadOnlySpan<float> _floats;
    private int _at;
    private int _operator;
    private int _argsRead;

    internal OpArgs(string strings, ReadOnlySpan<int> table, ReadOnlySpan<float> floats)
    {
        _strings = strings;
        _table = table;
        _floats = floats;
        Node = "";
    }

    /// <summary>The current operator's ONNX node name.</summary>
    public string Node { get; private set; }

    internal readonly int Position => _at;

    /// <summary>
    /// The next argument, an <see cref="OpArgKind.Int"/>: an int, which converts implicitly to a long or float
    /// parameter as a C# integer literal would. A plain int, not a struct with conversions: a conversion operator was a
    /// second call per argument in the generated factory, which the JIT compiles at tier 0 in every first prediction.
    /// </summary>
    public int Next() => Take(OpArgKind.Int, OpArgKind.Int, "an integer").Int;

    /// <summary>
    /// The next argument, an <see cref="OpArgKind.IntList"/>: it converts implicitly to int[], long[] or float[], as a
    /// collection expression of integer literals would.
    /// </summary>
    public OpList NextList() => new(Take(OpArgKind.IntList, OpArgKind.IntList, "a list of integers"));

    /// <summary>The next argument, a <see cref="OpArgKind.Long"/> (a C# long literal: long or float parameters only).</summary>
    public long NextLong() => Take(OpArgKind.Long, OpArgKind.Long, "a 64-bit integer").Long;

    /// <summary>The next argument, a <see cref="OpArgKind.Float"/>.</summary>
    public float NextFloat()
    {
        int index = Take(OpArgKind.Float, OpArgKind.Float, "a float").Int;
        return (uint)index < (uint)_floats.Length ? _floats[index] : throw BadFloats(index, 1);
    }

    /// <summary>The next argument, <see cref="OpArgKind.True"/> or <see cref="OpArgKind.False"/>.</summary>
    public bool NextBool() => Take(OpArgKind.False, OpArgKind.True, "true or false").Bool;

    /// <summary>The next argument, a <see cref="OpArgKind.String"/>.</summary>
    public string NextString() => Take(OpArgKind.String, OpArgKind.String, "a string").Text;

    /// <summary>The next argument, an <see cref="OpArgKind.Enum"/> member's value (generated code casts it to the parameter's enum type).</summary>
    public int NextEnum() => Take(OpArgKind.Enum, OpArgKind.Enum, "an enum member").Int;

    /// <summary>The next argument, a <see cref="OpArgKind.LongList"/>.</summary>
    public long[] NextLongs() => Take(OpArgKind.LongList, OpArgKind.LongList, "a list of 64-bit integers").Longs;

    /// <summary>The next argument, a <see cref="OpArgKind.FloatList"/>.</summary>
    public float[] NextFloats()
    {
        (int start, int count) = Take(OpArgKind.FloatList, OpArgKind.FloatList, "a list of floats").Range;
        return start >= 0 && count >= 0 && start <= _floats.Length - count ? _floats.Slice(start, count).ToArray() : throw BadFloats(start, count);
    }

    private OpArg Take(OpArgKind first, OpArgKind second, string expected)
    {
        var kind = (OpArgKind)Word(_at);
        int size = kind switch
        {
            OpArgKind.False or OpArgKind.True => 1,
            OpArgKind.Int or OpArgKind.Enum or OpArgKind.Float => 2,
            OpArgKind.Long or OpArgKind.String or OpArgKind.FloatList => 3,
            OpArgKind.IntList => 2 + Count(_at + 1, 1),
            OpArgKind.LongList => 2 + Count(_at + 1, 2),
            _ => throw OpTable.Malformed($"operator {_operator} ('{Node}') has an argument of unknown kind {(int)kind}"),
        };
        if (_at + size > _table.Length)
        {
            throw OpTable.Malformed($"operator {_operator} ('{Node}') runs past the end of the table");
        }

        if (kind != first && kind != second)
        {
            throw OpTable.Malformed($"argument {_argsRead} of operator {_operator} ('{Node}') is a {kind} where its constructor call reads {expected}");
        }

        var arg = new OpArg(_strings, _table.Slice(_at, size));
        _at += size;
        _argsRead++;
        return arg;
    }

    private readonly InvalidOperationException BadFloats(int start, int count) =>
        OpTable.Malformed($"argument {_argsRead - 1} of operator {_operator} ('{Node}') refers to floats {start}–{start + count - 1} of the {_floats.Length} in the float table");

    /// <summary>Reads an operator's header: its form and node name; returns the form.</summary>
    internal int Header(int index, out int argCount)
    {
        if (_at + 4 > _table.Length)
        {
            throw OpTable.Malformed($"the table ends before operator {index}");
        }

        _operator = index;
        _argsRead = 0;
        int form = _table[_at];
        Node = Substring(_strings, _table[_at + 1], _table[_at + 2]);
        argCount = _table[_at + 3];
        _at += 4;
        return form;
    }

    /// <summary>Checks that the factory read all of the operator's arguments and no more.</summary>
    internal readonly void EndOperator(int argCount)
    {
        if (_argsRead != argCount)
        {
            throw OpTable.Malformed($"operator {_operator} ('{Node}') has {argCount} arguments in the table but its constructor read {_argsRead}");
        }
    }

    internal static string Substring(string strings, int offset, int length) =>
        offset >= 0 && length >= 0 && offset <= strings.Length - length
            ? strings.Substring(offset, length)
            : throw OpTable.Malformed($"a string at {offset} of length {length} is outside the {strings.Length} characters of the string table");

    private readonly int Word(int at) => at < _table.Length ? _table[at] : throw OpTable.Malformed($"operator {_operator} ('{Node}') runs past the end of the table");

    private readonly int Count(int at, int wordsEach)
    {
        int n = Word(at);
        return n >= 0 && n <= (_table.Length - at) / wordsEach ? n * wordsEach : throw OpTable.Malformed($"operator {_operator} ('{Node}') has a list of {n} values that runs past the table");
    }
}

/// <summary>One argument of an <see cref="OpTable"/>, already checked against the reader generated code called.</summary>
internal readonly ref struct OpArg
{
    private readonly string _strings;
    private readonly ReadOnlySpan<int> _words;

    internal OpArg(string strings, ReadOnlySpan<int> words)
    {
        _strings = strings;
        _words = words;
    }

    internal int Int => _words[1];

    internal long Long => LongAt(1);

    internal bool Bool => (OpArgKind)_words[0] == OpArgKind.True;

    internal string Text => OpArgs.Substring(_strings, _words[1], _words[2]);

    internal (int Start, int Count) Range => (_words[1], _words[2]);

    internal long[] Longs
    {
        get
        {
            var values = new long[_words[1]];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = LongAt(2 + (2 * i));
            }

            return values;
        }
    }

    internal ReadOnlySpan<int> Ints => _words[2..];

    private long LongAt(int i) => (long)(((ulong)(uint)_words[i + 1] << 32) | (uint)_words[i]);
}

/// <summary>A list of integers from an <see cref="OpTable"/>, converted implicitly to the constructor parameter it is passed to.</summary>
public readonly ref struct OpList
{
    private readonly ReadOnlySpan<int> _values;

    internal OpList(OpArg list) => _values = list.Ints;

    /// <summary>The values.</summary>
    public static implicit operator int[](OpList a) => a._values.ToArray();

    /// <summary>The values widened.</summary>
    public static implicit operator long[](OpList a)
    {
        var values = new long[a._values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = a._values[i];
        }

        return values;
    }

    /// <summary>The values converted to the nearest floats, as C# converts integer literals.</summary>
    public static implicit operator float[](OpList a)
    {
        var values = new float[a._values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = a._values[i];
        }

        return values;
    }
}
