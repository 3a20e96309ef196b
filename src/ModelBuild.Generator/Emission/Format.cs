using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;
using ModelBuild.Generator.Model;

namespace ModelBuild.Generator.Emission;

/// <summary>Invariant-culture formatting of everything the emitter writes into source text.</summary>
internal static class Format
{
    public static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A C# string literal with escapes.</summary>
    public static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>Text for XML doc comments: markup escaped, line breaks flattened so the comment stays one line.</summary>
    public static string Xml(string value) =>
        OneLine(value).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>Text for a <c>//</c> comment: control characters and line separators (a node name may hold <c>\n</c>) become spaces.</summary>
    public static string OneLine(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            // U+2028/U+2029 end a C# line as well, so they would end the comment too.
            text.Append(char.IsControl(c) || c is '\u2028' or '\u2029' ? ' ' : c);
        }

        return text.ToString();
    }

    /// <summary><c>[1, 28, 28]</c>.</summary>
    public static string IntList(IEnumerable<int> values) => "[" + string.Join(", ", Map(values)) + "]";

    /// <summary>The ONNX shape for docs and messages: <c>[batch_size, 1, 28, 28]</c>.</summary>
    public static string Shape(TensorSpec tensor) => "[" + string.Join(", ", tensor.Shape) + "]";

    /// <summary>The shape as an <c>int</c> list for <c>InputShape</c>: symbolic dims are -1.</summary>
    public static string ShapeValues(TensorSpec tensor)
    {
        var dims = new List<int>();
        for (var i = 0; i < tensor.Shape.Count; i++)
        {
            dims.Add(tensor.Dim(i));
        }

        return IntList(dims);
    }

    private static IEnumerable<string> Map(IEnumerable<int> values)
    {
        foreach (var v in values)
        {
            yield return I(v);
        }
    }
}
