using System.Globalization;
using System.Text;

namespace ModelBuild.Compression.Reporting.Html;

/// <summary>Escaping and invariant number forms shared by the HTML report and its charts.</summary>
internal static class Markup
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    /// <summary>Escapes text for element content and double- or single-quoted attributes.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => sb.Append("&amp;"),
                '<' => sb.Append("&lt;"),
                '>' => sb.Append("&gt;"),
                '"' => sb.Append("&quot;"),
                '\'' => sb.Append("&#39;"),
                // Control characters other than tab/newline are not allowed in XML-ish output; show them as U+FFFD.
                < ' ' and not '\t' and not '\n' and not '\r' => sb.Append('\uFFFD'),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }

    /// <summary>A coordinate or length for SVG: at most two decimals, invariant, never "-0".</summary>
    public static string Num(double value)
    {
        var text = Math.Round(value, 2).ToString("0.##", s_invariant);
        return text == "-0" ? "0" : text;
    }

    public static string Format(double value, string format) => value.ToString(format, s_invariant);

    public static string Format(long value, string format) => value.ToString(format, s_invariant);

    /// <summary>Decimal units for the charts' log-scale axes, whose ticks are powers of ten: 1 MB, 10 KB, 3.2 KB, 512 B.</summary>
    public static string HumanBytes(double bytes) => bytes switch
    {
        >= 1e9 => Format(bytes / 1e9, "0.00") + " GB",
        >= 1e6 => Format(bytes / 1e6, "0.00") + " MB",
        >= 1e4 => Format(bytes / 1e3, "0") + " KB",
        >= 1e3 => Format(bytes / 1e3, "0.0") + " KB",
        _ => Format(bytes, "0") + " B",
    };

    /// <summary>A ratio such as 29× or 3.9×.</summary>
    public static string Ratio(double ratio) => Format(ratio, ratio >= 10 ? "0" : "0.0") + "×";

    public static string Percent(double fraction) => Format(fraction * 100, "0.00") + " %";

    /// <summary>Shortens long layer names for chart labels (the full name stays in the tooltip).</summary>
    public static string Shorten(string text, int max) => text.Length <= max ? text : "…" + text[^(max - 1)..];
}
