using System.Globalization;
using System.Text;

namespace ModelBuild.Compression.Planning;

/// <summary>Splitting and decoding plan tokens (CONTRACTS §1): bare words, <c>key=value</c>, quoted strings, <c>[lists]</c>.</summary>
public static class PlanTokens
{
    /// <summary>Splits a record line into tokens at spaces outside quotes and brackets.</summary>
    public static List<string> Split(string line)
    {
        var tokens = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        var depth = 0;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted && ch == '\\' && i + 1 < line.Length)
            {
                sb.Append(ch).Append(line[++i]);
                continue;
            }

            if (ch == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && ch == '[')
            {
                depth++;
            }
            else if (!quoted && ch == ']')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && ch == ' ')
            {
                if (sb.Length > 0)
                {
                    tokens.Add(sb.ToString());
                    sb.Clear();
                }

                continue;
            }

            sb.Append(ch);
        }

        if (quoted || depth != 0)
        {
            throw new FormatException("unterminated quote or list");
        }

        if (sb.Length > 0)
        {
            tokens.Add(sb.ToString());
        }

        return tokens;
    }

    /// <summary>The text of a quoted token.</summary>
    public static string Unquote(string token)
    {
        if (token.Length < 2 || token[0] != '"' || token[^1] != '"')
        {
            throw new FormatException($"'{token}' is not a quoted string");
        }

        var sb = new StringBuilder();
        for (var i = 1; i < token.Length - 1; i++)
        {
            var ch = token[i];
            if (ch == '\\')
            {
                ch = token[++i] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    var other => other,
                };
            }

            sb.Append(ch);
        }

        return sb.ToString();
    }

    /// <summary>A float token: the round-trip form, or <c>inf</c>, <c>-inf</c>, <c>nan</c>.</summary>
    public static float Float(string token) => token switch
    {
        "inf" => float.PositiveInfinity,
        "-inf" => float.NegativeInfinity,
        "nan" => float.NaN,
        _ => float.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
