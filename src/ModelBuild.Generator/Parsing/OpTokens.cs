using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelBuild.Generator.Parsing;

/// <summary>
/// Checks op argument tokens (CONTRACTS §1) and turns them into C# literals: integers, floats (round-trip form,
/// <c>inf</c>, <c>-inf</c>, <c>nan</c>), <c>true</c>/<c>false</c>, <c>Enum.Member</c> of a ModelBuild.Runtime enum,
/// and <c>[a,b,…]</c> lists of numbers (emitted as collection expressions, typed by the parameter).
/// </summary>
internal static class OpTokens
{
    public static void Check(PlanRecord r, PlanToken t)
    {
        if (t.Quoted)
        {
            return;
        }

        var text = t.Value;
        if (text.Length >= 2 && text[0] == '[' && text[text.Length - 1] == ']')
        {
            var inner = text.Substring(1, text.Length - 2);
            if (inner.Length == 0)
            {
                return;
            }

            // Numbers only: no operator takes a list of enums or bools, and the op table stores lists as numbers.
            foreach (var item in inner.Split(','))
            {
                if (!IsScalar(item) || IsEnum(item) || item is "true" or "false")
                {
                    throw r.Error(t.Key + "=" + text + ": '" + item + "' is not a number", t.Column);
                }
            }

            return;
        }

        if (!IsScalar(text))
        {
            throw r.Error(t.Key + "=" + text + " is not a number, true/false, an enum value or a list", t.Column);
        }
    }

    /// <summary>The C# expression for a checked token.</summary>
    public static string ToCSharp(string token, bool quoted)
    {
        if (quoted)
        {
            return SymbolDisplay.FormatLiteral(token.Substring(1, token.Length - 2), quote: true);
        }

        if (token.Length >= 2 && token[0] == '[')
        {
            var inner = token.Substring(1, token.Length - 2);
            if (inner.Length == 0)
            {
                return "[]";
            }

            var items = inner.Split(',');
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = Scalar(items[i]);
            }

            return "[" + string.Join(", ", items) + "]";
        }

        return Scalar(token);
    }

    private static string Scalar(string token)
    {
        switch (token)
        {
            case "true" or "false":
                return token;
            case "inf":
                return "float.PositiveInfinity";
            case "-inf":
                return "float.NegativeInfinity";
            case "nan":
                return "float.NaN";
        }

        if (IsEnum(token))
        {
            return "global::ModelBuild.Runtime." + token;
        }

        // Integers stay integer literals (they convert to int, long or float parameters); anything with a fraction or
        // exponent is a float literal.
        return token.IndexOfAny(['.', 'E', 'e']) >= 0 || token == "-0" ? token + "f" : token;
    }

    private static bool IsScalar(string token) =>
        token is "true" or "false" or "inf" or "-inf" or "nan" || IsEnum(token)
        || long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
        || (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsInfinity(d) && !double.IsNaN(d));

    /// <summary>Whether the token is <c>Enum.Member</c>.</summary>
    internal static bool IsEnum(string token)
    {
        var dot = token.IndexOf('.');
        return dot > 0 && dot == token.LastIndexOf('.')
            && SyntaxFacts.IsValidIdentifier(token.Substring(0, dot)) && SyntaxFacts.IsValidIdentifier(token.Substring(dot + 1));
    }
}
