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

    /// <summary>Text for a <c>//</c> comment: control characters (a node name may hold <c>\n</c>) become spaces.</summary>
    public static string OneLine(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            text.Append(char.IsControl(c) ? ' ' : c);
        }

        return text.ToString();
    }

    /// <summary>A float literal from the parser's normalised round-trip text (<c>"R"</c>, or <c>inf</c>/<c>-inf</c>).</summary>
    public static string Float(string value) => value switch
    {
        "inf" => "float.PositiveInfinity",
        "-inf" => "float.NegativeInfinity",
        _ => value + "f",
    };

    /// <summary><c>[1, 28, 28]</c>.</summary>
    public static string IntList(IEnumerable<int> values) => "[" + string.Join(", ", Map(values)) + "]";

    /// <summary>The full ONNX shape for docs and messages: <c>[batch_size, 1, 28, 28]</c> or <c>[1, 1, 28, 28]</c>.</summary>
    public static string Shape(PredictorSpec spec, TensorSpec tensor)
    {
        var batch = spec.Batch.IsDynamic ? spec.Batch.Symbol : I(spec.Batch.FixedSize);
        var dims = new List<string> { batch };
        dims.AddRange(Map(tensor.Dims));
        return "[" + string.Join(", ", dims) + "]";
    }

    /// <summary>The shape as an <c>int</c> list for <c>InputShape</c>: the batch dim is -1 when dynamic.</summary>
    public static string ShapeValues(PredictorSpec spec, TensorSpec tensor)
    {
        var dims = new List<int> { spec.Batch.IsDynamic ? -1 : spec.Batch.FixedSize };
        dims.AddRange(tensor.Dims);
        return IntList(dims);
    }

    /// <summary>An expression scaled by the batch: <c>784 * batch</c>, or <c>batch</c> for 1 and <c>0</c> for 0.</summary>
    public static string TimesBatch(int perSample) => perSample switch
    {
        0 => "0",
        1 => "batch",
        _ => I(perSample) + " * batch",
    };

    private static IEnumerable<string> Map(IEnumerable<int> values)
    {
        foreach (var v in values)
        {
            yield return I(v);
        }
    }
}
