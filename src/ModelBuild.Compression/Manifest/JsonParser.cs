namespace ModelBuild.Compression.Manifest;

/// <summary>
/// A small JSON parser that remembers where every key and value starts. System.Text.Json reports only byte
/// offsets, and manifest errors must give the line and column the user sees in the editor.
/// </summary>
/// <remarks>
/// Accepts standard JSON plus <c>//</c> and <c>/* */</c> comments and trailing commas (the manifest is hand-written).
/// Columns count UTF-16 characters from 1; a tab is one column. Syntax errors throw MB2001.
/// </remarks>
internal sealed partial class JsonParser
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private readonly string _path;
    private int _pos;
    private int _line = 1;
    private int _lineStart;

    private JsonParser(string text, string path) => (_text, _path) = (text, path);

    private int Column => _pos - _lineStart + 1;

    public static JsonNode Parse(string text, string path)
    {
        var parser = new JsonParser(text, path);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            parser._pos = parser._lineStart = 1;
        }

        parser.SkipTrivia();
        var root = parser.ParseValue(0);
        parser.SkipTrivia();
        if (parser._pos < text.Length)
        {
            throw parser.Error($"unexpected '{text[parser._pos]}' after the end of the JSON document");
        }

        return root;
    }

    private JsonNode ParseValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error($"nesting deeper than {MaxDepth} levels");
        }

        if (_pos >= _text.Length)
        {
            throw Error("unexpected end of file; expected a value");
        }

        var (line, column) = (_line, Column);
        var c = _text[_pos];
        switch (c)
        {
            case '{':
                return ParseObject(depth, line, column);
            case '[':
                return ParseArray(depth, line, column);
            case '"':
                return new JsonString(ParseString(), line, column);
            case 't':
                ExpectWord("true");
                return new JsonBool(true, line, column);
            case 'f':
                ExpectWord("false");
                return new JsonBool(false, line, column);
            case 'n':
                ExpectWord("null");
                return new JsonNull(line, column);
            default:
                if (c == '-' || char.IsAsciiDigit(c))
                {
                    return ParseNumber(line, column);
                }

                throw Error($"unexpected '{c}'; expected a value (object, list, string, number, true, false or null)");
        }
    }

    private JsonObject ParseObject(int depth, int line, int column)
    {
        _pos++;
        var properties = new List<JsonProperty>();
        while (true)
        {
            SkipTrivia();
            if (Peek() == '}')
            {
                _pos++;
                return new JsonObject(properties, line, column);
            }

            if (Peek() != '"')
            {
                throw Error(_pos >= _text.Length ? "unexpected end of file; expected '}'" : $"unexpected '{_text[_pos]}'; expected a quoted key or '}}'");
            }

            var (keyLine, keyColumn) = (_line, Column);
            var key = ParseString();
            SkipTrivia();
            Expect(':', "':' after the key");
            SkipTrivia();
            properties.Add(new JsonProperty(key, keyLine, keyColumn, ParseValue(depth + 1)));
            SkipTrivia();
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }

            Expect('}', "',' or '}'");
            return new JsonObject(properties, line, column);
        }
    }

    private JsonArray ParseArray(int depth, int line, int column)
    {
        _pos++;
        var items = new List<JsonNode>();
        while (true)
        {
            SkipTrivia();
            if (Peek() == ']')
            {
                _pos++;
                return new JsonArray(items, line, column);
            }

            items.Add(ParseValue(depth + 1));
            SkipTrivia();
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }

            Expect(']', "',' or ']'");
            return new JsonArray(items, line, column);
        }
    }

    private void ExpectWord(string word)
    {
        var end = _pos;
        while (end < _text.Length && char.IsAsciiLetterOrDigit(_text[end]))
        {
            end++;
        }

        if (_text.AsSpan(_pos, end - _pos).SequenceEqual(word))
        {
            _pos = end;
            return;
        }

        throw Error($"unexpected '{_text[_pos..end]}'; expected a value (strings must be quoted)");
    }

    private void Expect(char c, string what)
    {
        if (Peek() != c)
        {
            throw Error(_pos >= _text.Length ? $"unexpected end of file; expected {what}" : $"unexpected '{_text[_pos]}'; expected {what}");
        }

        _pos++;
    }

    private ModelBuildException Error(string reason) =>
        new("MB2001", _path, $"the manifest is not valid JSON: {reason}. Fix the JSON syntax at this position.", _line, Column);
}
