using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelBuild.Generator;

/// <summary>Turns ONNX tensor names (<c>input.1</c>, <c>onnx::Gemm_0</c>) into C# property names.</summary>
internal static class Identifiers
{
    /// <summary>Letters and digits kept, everything else a word break; each word capitalised.</summary>
    public static string ToPascalCase(string name)
    {
        var text = new StringBuilder();
        var upperNext = true;
        foreach (var c in name)
        {
            if (!char.IsLetterOrDigit(c) || c > 0x7f)
            {
                upperNext = true;
                continue;
            }

            text.Append(upperNext ? char.ToUpperInvariant(c) : c);
            upperNext = false;
        }

        if (text.Length == 0)
        {
            text.Append("Tensor");
        }
        else if (char.IsDigit(text[0]))
        {
            text.Insert(0, 'T');
        }

        var id = text.ToString();
        return SyntaxFacts.GetKeywordKind(id) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(id) != SyntaxKind.None ? "@" + id : id;
    }

    /// <summary>
    /// Appends 2, 3, … until the name and the members derived from it (<c>{name}Shape</c>, <c>{name}DeclaredShape</c>,
    /// <c>ShapeOf{name}</c>) are all unused and the name differs from the enclosing type's name; then reserves them all,
    /// so tensors named <c>x</c> and <c>x_shape</c> cannot both give a <c>XShape</c> property.
    /// </summary>
    public static string Unique(string candidate, HashSet<string> used, string className)
    {
        var name = candidate;
        for (var n = 2; !IsFree(name, used) || name == className + "Input" || name == className + "Output"; n++)
        {
            name = candidate + n.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var member in Derived(name))
        {
            used.Add(member);
        }

        return name;
    }

    private static bool IsFree(string name, HashSet<string> used)
    {
        foreach (var member in Derived(name))
        {
            if (used.Contains(member))
            {
                return false;
            }
        }

        return true;
    }

    private static string[] Derived(string name)
    {
        var bare = name.TrimStart('@');
        return [name, bare + "Shape", bare + "DeclaredShape", "ShapeOf" + bare];
    }
}
