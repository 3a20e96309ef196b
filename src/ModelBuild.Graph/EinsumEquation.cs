namespace ModelBuild.Graph;

/// <summary>
/// An ONNX/numpy Einsum equation resolved for operands of known ranks: every axis gets a label id (0-based), with
/// the dims an ellipsis stands for numbered first (right-aligned across operands, so they broadcast as in numpy).
/// Shared by shape inference and the lowering, so both read the equation the same way.
/// </summary>
/// <param name="Operands">The label id of each axis of each operand.</param>
/// <param name="Output">The label id of each output axis; labels not in it are summed over.</param>
/// <param name="LabelCount">The number of distinct labels (ellipsis dims included).</param>
public sealed record EinsumEquation(int[][] Operands, int[] Output, int LabelCount)
{
    /// <summary>
    /// Parses <paramref name="equation"/> (whitespace ignored; letters a–z, A–Z; at most one <c>...</c> per term).
    /// Without <c>-&gt;</c> the output is numpy's implicit one: the ellipsis dims, then the letters that occur once,
    /// in ASCII order.
    /// </summary>
    /// <exception cref="FormatException">The equation is malformed or does not match the operand ranks.</exception>
    public static EinsumEquation Parse(string equation, IReadOnlyList<int> ranks)
    {
        var text = new string(equation.Where(ch => !char.IsWhiteSpace(ch)).ToArray());
        var arrow = text.IndexOf("->", StringComparison.Ordinal);
        var lhs = arrow < 0 ? text : text[..arrow];
        var terms = lhs.Split(',').Select(t => Term(t, equation)).ToArray();
        if (terms.Length != ranks.Count)
        {
            throw new FormatException($"'{equation}' has {terms.Length} input terms for {ranks.Count} operands.");
        }

        var ellipsisDims = new int[terms.Length];
        for (var t = 0; t < terms.Length; t++)
        {
            var (letters, hasEllipsis) = terms[t];
            ellipsisDims[t] = ranks[t] - letters.Count(ch => ch != '.');
            if (ellipsisDims[t] < 0 || (!hasEllipsis && ellipsisDims[t] != 0))
            {
                throw new FormatException($"term '{letters}' of '{equation}' does not match an operand of rank {ranks[t]}.");
            }
        }

        var ellipsis = ellipsisDims.DefaultIfEmpty(0).Max();
        var distinct = terms.SelectMany(t => t.Letters).Where(ch => ch != '.').Distinct().Order().ToList();
        int Id(char ch) => ellipsis + distinct.IndexOf(ch);

        var operands = new int[terms.Length][];
        for (var t = 0; t < terms.Length; t++)
        {
            var labels = new List<int>();
            foreach (var ch in terms[t].Letters)
            {
                if (ch == '.')
                {
                    labels.AddRange(Enumerable.Range(ellipsis - ellipsisDims[t], ellipsisDims[t]));
                }
                else
                {
                    labels.Add(Id(ch));
                }
            }

            operands[t] = [.. labels];
        }

        int[] output;
        if (arrow < 0)
        {
            var once = distinct.Where(ch => terms.Sum(t => t.Letters.Count(x => x == ch)) == 1);
            output = [.. Enumerable.Range(0, ellipsis), .. once.Select(Id)];
        }
        else
        {
            var (letters, _) = Term(text[(arrow + 2)..], equation);
            var labels = new List<int>();
            foreach (var ch in letters)
            {
                if (ch == '.')
                {
                    labels.AddRange(Enumerable.Range(0, ellipsis));
                }
                else if (!distinct.Contains(ch) || labels.Contains(Id(ch)))
                {
                    throw new FormatException($"output label '{ch}' of '{equation}' is not an input label or repeats.");
                }
                else
                {
                    labels.Add(Id(ch));
                }
            }

            output = [.. labels];
        }

        return new EinsumEquation(operands, output, ellipsis + distinct.Count);
    }

    /// <summary>The term's letters with its ellipsis written as one '.'.</summary>
    private static (string Letters, bool HasEllipsis) Term(string term, string equation)
    {
        var dots = term.IndexOf("...", StringComparison.Ordinal);
        var letters = dots < 0 ? term : term[..dots] + "." + term[(dots + 3)..];
        if (letters.Any(ch => ch != '.' && !char.IsAsciiLetter(ch)) || letters.Count(ch => ch == '.') > (dots < 0 ? 0 : 1))
        {
            throw new FormatException($"'{equation}' has an invalid term '{term}'.");
        }

        return (letters, dots >= 0);
    }
}
