using System.Globalization;
using System.Text;

namespace ModelBuild.Compression.Manifest;

/// <summary>The lexical half of the parser: strings, numbers, whitespace and comments.</summary>
internal sealed partial class JsonParser
{
    private string ParseString()
    {
        _pos++; // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw Error("unterminated string");
            }

            var c = _text[_pos];
            if (c == '"')
            {
                _pos++;
                return sb.ToString();
            }

            if (c < ' ')
            {
                throw Error(c == '\n' ? "unterminated string (line break inside a string)" : "control character inside a string; escape it");
            }

            if (c != '\\')
            {
                sb.Append(c);
                _pos++;
                continue;
            }

            var escape = _pos + 1 < _text.Length ? _text[_pos + 1] : '\0';
            switch (escape)
            {
                case '"': case '\\': case '/': sb.Append(escape); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (_pos + 6 > _text.Length || !ushort.TryParse(_text.AsSpan(_pos + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw Error("invalid \\u escape; expected four hex digits");
                    }

                    sb.Append((char)code);
                    _pos += 4;
                    break;
                default:
                    throw Error($"invalid escape '\\{escape}'");
            }

            _pos += 2;
        }
    }

    private JsonNumber ParseNumber(int line, int column)
    {
        var start = _pos;
        if (Peek() == '-')
        {
            _pos++;
        }

        if (Peek() == '0')
        {
            _pos++;
        }
        else if (!Digits())
        {
            throw Error("invalid number; expected a digit");
        }

        if (Peek() == '.')
        {
            _pos++;
            if (!Digits())
            {
                throw Error("invalid number; expected a digit after '.'");
            }
        }

        if (Peek() is 'e' or 'E')
        {
            _pos++;
            if (Peek() is '+' or '-')
            {
                _pos++;
            }

            if (!Digits())
            {
                throw Error("invalid number; expected a digit in the exponent");
            }
        }

        var text = _text[start.._pos];
        return new JsonNumber(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture), text, line, column);
    }

    private bool Digits()
    {
        var start = _pos;
        while (char.IsAsciiDigit(Peek()))
        {
            _pos++;
        }

        return _pos > start;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    /// <summary>Skips whitespace and comments, keeping the line count.</summary>
    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == '\n')
            {
                _pos++;
                _line++;
                _lineStart = _pos;
            }
            else if (c is ' ' or '\t' or '\r')
            {
                _pos++;
            }
            else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '/')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '*')
            {
                SkipBlockComment();
            }
            else
            {
                return;
            }
        }
    }

    private void SkipBlockComment()
    {
        var (line, column) = (_line, Column);
        _pos += 2;
        while (_pos + 1 < _text.Length && !(_text[_pos] == '*' && _text[_pos + 1] == '/'))
        {
            if (_text[_pos] == '\n')
            {
                _line++;
                _lineStart = _pos + 1;
            }

            _pos++;
        }

        if (_pos + 1 >= _text.Length)
        {
            throw new ModelBuildException("MB2001", _path, "the manifest is not valid JSON: unterminated /* comment.", line, column);
        }

        _pos += 2;
    }
}
