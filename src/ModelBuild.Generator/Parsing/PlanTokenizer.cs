using System.Collections.Generic;
using System.Text;

namespace ModelBuild.Generator.Parsing;

/// <summary>Splits one plan line into tokens (CONTRACTS §1): single spaces between tokens, quoted strings with escapes.</summary>
internal static class PlanTokenizer
{
    public static List<PlanToken> Tokenize(string line, int lineNumber)
    {
        var tokens = new List<PlanToken>();
        var i = 0;
        while (i < line.Length)
        {
            if (tokens.Count > 0)
            {
                // Exactly one space separates tokens; anything else means the writer and reader disagree.
                if (line[i] != ' ' || i + 1 >= line.Length)
                {
                    throw Bad("expected one space between tokens", lineNumber, i + 1);
                }

                i++;
            }

            var start = i;
            string? key = null;
            var word = ReadBare(line, ref i);
            if (i < line.Length && line[i] == '=')
            {
                if (word.Length == 0)
                {
                    throw Bad("a key is missing before '='", lineNumber, i + 1);
                }

                key = word;
                i++;
                word = ReadBare(line, ref i);
            }

            var quoted = false;
            if (word.Length == 0 && i < line.Length && line[i] == '"')
            {
                word = ReadQuoted(line, ref i, lineNumber);
                quoted = true;
            }

            if (i < line.Length && line[i] != ' ')
            {
                throw Bad("unexpected character '" + line[i] + "'", lineNumber, i + 1);
            }

            if (word.Length == 0 && !quoted && key is null)
            {
                throw Bad("empty token", lineNumber, start + 1);
            }

            tokens.Add(new PlanToken(key, word, quoted, start + 1));
        }

        return tokens;
    }

    private static string ReadBare(string line, ref int i)
    {
        var start = i;
        while (i < line.Length && IsBare(line[i]))
        {
            i++;
        }

        return line.Substring(start, i - start);
    }

    private static string ReadQuoted(string line, ref int i, int lineNumber)
    {
        var open = i;
        var text = new StringBuilder();
        i++;
        while (i < line.Length)
        {
            var c = line[i++];
            if (c == '"')
            {
                return text.ToString();
            }

            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            if (i >= line.Length)
            {
                break;
            }

            var e = line[i++];
            text.Append(e switch
            {
                '"' => '"',
                '\\' => '\\',
                'n' => '\n',
                't' => '\t',
                'r' => '\r', // PlanWriter.Quote escapes CR too (a node name or doc may hold one)
                _ => throw Bad("unknown escape '\\" + e + "'", lineNumber, i - 1),
            });
        }

        throw Bad("unterminated string", lineNumber, open + 1);
    }

    private static bool IsBare(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' or ',' or ':' or '+' or '-' or '[' or ']';

    private static PlanException Bad(string message, int line, int column) =>
        new(DiagnosticIds.MalformedPlan, "bad token: " + message, line, column);
}
