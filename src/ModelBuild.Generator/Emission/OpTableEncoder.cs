using System.Collections.Generic;
using System.Globalization;
using System.Text;
using ModelBuild.Generator.Model;

namespace ModelBuild.Generator.Emission;

/// <summary>
/// Encodes a program's operators for ModelBuild.Runtime's <c>OpTable</c>: one int table, one string of node names
/// and string arguments and one span of float literals, plus one "form" per operator kind and argument list whose
/// constructor call the emitter writes once. The tags and layouts are <c>OpArgKind</c>'s
/// (ModelBuild.Runtime.Execution); they must stay equal.
/// </summary>
internal sealed class OpTableEncoder
{
    // OpArgKind's values.
    private const int Int = 0, Long = 1, Float = 2, False = 3, True = 4, String = 5, Enum = 6, IntList = 7, LongList = 8, FloatList = 9;

    private readonly StringBuilder _strings = new();
    private readonly Dictionary<string, int> _stringOffsets = new(System.StringComparer.Ordinal);
    private readonly Dictionary<string, int> _formIndex = new(System.StringComparer.Ordinal);
    private readonly Dictionary<string, int> _floatIndex = new(System.StringComparer.Ordinal);

    /// <summary>
    /// The forms in first-use order: the operator kind and each argument's key and the <c>OpArgs</c> call that reads it.
    /// The call is typed by the token (a float token reads a float, <c>true</c> a bool, …), so the compiler rejects a
    /// token the parameter cannot take, as it did for literals; integers stay flexible, as integer literals are.
    /// </summary>
    public List<(string Kind, List<(string Key, string Reader)> Args)> Forms { get; } = [];

    /// <summary>Node names and string arguments, concatenated (repeated strings stored once).</summary>
    public string Strings => _strings.ToString();

    /// <summary>
    /// The float arguments as C# expressions (literals, or <c>float.NaN</c> and the infinities), in table order; a
    /// single float used again is stored once. The compiler parses them, correctly rounded on any host.
    /// </summary>
    public List<string> Floats { get; } = [];

    /// <summary>The table entries of one operator: header (form, node offset, node length, argument count) and tagged arguments.</summary>
    public List<string> Encode(OpSpec op)
    {
        var args = new List<(string Key, string Reader)>();
        var words = new List<string>();
        foreach (var a in op.Args)
        {
            args.Add((a.Key, EncodeArg(a, words)));
        }

        var key = new StringBuilder(op.Kind);
        foreach (var (k, e) in args)
        {
            key.Append(' ').Append(k).Append(':').Append(e);
        }

        if (!_formIndex.TryGetValue(key.ToString(), out var form))
        {
            form = Forms.Count;
            _formIndex.Add(key.ToString(), form);
            Forms.Add((op.Kind, args));
        }

        var (offset, length) = Store(op.Node);
        var header = new List<string> { I(form), I(offset), I(length), I(op.Args.Count) };
        header.AddRange(words);
        return header;
    }

    /// <summary>Appends the argument's tag and payload; returns the call that reads it.</summary>
    private string EncodeArg(OpArg a, List<string> words)
    {
        var token = a.Value;
        if (a.Quoted)
        {
            AddText(words, String, token.Substring(1, token.Length - 2));
            return "a.NextString()";
        }

        if (token.Length >= 2 && token[0] == '[')
        {
            var inner = token.Substring(1, token.Length - 2);
            var items = inner.Length == 0 ? [] : inner.Split(',');
            if (System.Array.Exists(items, IsFloat))
            {
                words.Add(I(FloatList));
                words.Add(I(Floats.Count));
                words.Add(I(items.Length));
                foreach (var item in items)
                {
                    Floats.Add(FloatExpression(item));
                }

                return "a.NextFloats()";
            }

            var values = new long[items.Length];
            var allInt = true;
            for (var i = 0; i < items.Length; i++)
            {
                values[i] = long.Parse(items[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                allInt &= values[i] >= int.MinValue && values[i] <= int.MaxValue;
            }

            words.Add(I(allInt ? IntList : LongList));
            words.Add(I(values.Length));
            foreach (var v in values)
            {
                if (allInt)
                {
                    words.Add(I(v));
                }
                else
                {
                    AddLong(words, v);
                }
            }

            return allInt ? "a.NextList()" : "a.NextLongs()";
        }

        switch (token)
        {
            case "true":
                words.Add(I(True));
                return "a.NextBool()";
            case "false":
                words.Add(I(False));
                return "a.NextBool()";
        }

        if (Parsing.OpTokens.IsEnum(token))
        {
            // Its value is a constant expression the compiler checks; the constructor call casts it to the enum type.
            words.Add(I(Enum));
            words.Add("(int)global::ModelBuild.Runtime." + token);
            return "(global::ModelBuild.Runtime." + token.Substring(0, token.IndexOf('.')) + ")a.NextEnum()";
        }

        if (IsFloat(token))
        {
            var expression = FloatExpression(token);
            if (!_floatIndex.TryGetValue(expression, out var index))
            {
                index = Floats.Count;
                Floats.Add(expression);
                _floatIndex.Add(expression, index);
            }

            words.Add(I(Float));
            words.Add(I(index));
            return "a.NextFloat()";
        }

        if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            if (integer >= int.MinValue && integer <= int.MaxValue)
            {
                words.Add(I(Int));
                words.Add(I(integer));
                return "a.Next()";
            }

            words.Add(I(Long));
            AddLong(words, integer);
            return "a.NextLong()";
        }

        throw new System.InvalidOperationException("unchecked op argument token '" + token + "'");
    }

    /// <summary>A plan float token: decimal text with a point or exponent, or inf, -inf, nan, -0.</summary>
    private static bool IsFloat(string token) =>
        token is "inf" or "-inf" or "nan" or "-0" || token.IndexOfAny(['.', 'E', 'e']) >= 0;

    /// <summary>The C# expression of a plan number as a float (an integer item of a float list included).</summary>
    private static string FloatExpression(string token) => token switch
    {
        "inf" => "float.PositiveInfinity",
        "-inf" => "float.NegativeInfinity",
        "nan" => "float.NaN",
        _ => token + "f",
    };

    private void AddText(List<string> words, int tag, string text)
    {
        var (offset, length) = Store(text);
        words.Add(I(tag));
        words.Add(I(offset));
        words.Add(I(length));
    }

    private static void AddLong(List<string> words, long value)
    {
        words.Add(I(unchecked((int)value)));
        words.Add(I(unchecked((int)(value >> 32))));
    }

    private (int Offset, int Length) Store(string text)
    {
        if (!_stringOffsets.TryGetValue(text, out var offset))
        {
            offset = _strings.Length;
            _strings.Append(text);
            _stringOffsets.Add(text, offset);
        }

        return (offset, text.Length);
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}
