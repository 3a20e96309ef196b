using System.Text;

namespace ModelBuild.Compression.Reporting.Html;

/// <summary>
/// Writes one inline SVG element. Sizes are in viewBox units; the CSS scales the chart to the page width.
/// Colours come from CSS classes so that the same markup works in light and dark mode.
/// </summary>
internal sealed class SvgCanvas
{
    private readonly StringBuilder _sb = new();

    public SvgCanvas(string id, double width, double height, string description)
    {
        Width = width;
        Height = height;
        _sb.Append("<svg id=\"").Append(Markup.Escape(id)).Append("\" class=\"chart\" viewBox=\"0 0 ")
            .Append(Markup.Num(width)).Append(' ').Append(Markup.Num(height))
            .Append("\" role=\"img\" aria-label=\"").Append(Markup.Escape(description)).Append("\">\n");
        _sb.Append("<title>").Append(Markup.Escape(description)).Append("</title>\n");
    }

    public double Width { get; }

    public double Height { get; }

    public void Rect(double x, double y, double width, double height, string cssClass, string? tooltip = null)
    {
        _sb.Append("<rect class=\"").Append(cssClass).Append("\" x=\"").Append(Markup.Num(x)).Append("\" y=\"").Append(Markup.Num(y))
            .Append("\" width=\"").Append(Markup.Num(Math.Max(0, width))).Append("\" height=\"").Append(Markup.Num(Math.Max(0, height))).Append('"');
        CloseWithTooltip("rect", tooltip);
    }

    public void Circle(double cx, double cy, double r, string cssClass, string? tooltip = null)
    {
        _sb.Append("<circle class=\"").Append(cssClass).Append("\" cx=\"").Append(Markup.Num(cx)).Append("\" cy=\"").Append(Markup.Num(cy))
            .Append("\" r=\"").Append(Markup.Num(r)).Append('"');
        CloseWithTooltip("circle", tooltip);
    }

    public void Line(double x1, double y1, double x2, double y2, string cssClass)
    {
        _sb.Append("<line class=\"").Append(cssClass).Append("\" x1=\"").Append(Markup.Num(x1)).Append("\" y1=\"").Append(Markup.Num(y1))
            .Append("\" x2=\"").Append(Markup.Num(x2)).Append("\" y2=\"").Append(Markup.Num(y2)).Append("\"/>\n");
    }

    /// <summary>Text; <paramref name="anchor"/> is start, middle or end; <paramref name="rotate"/> turns it about (x, y).</summary>
    public void Text(double x, double y, string text, string cssClass, string anchor = "start", double rotate = 0, string? tooltip = null)
    {
        _sb.Append("<text class=\"").Append(cssClass).Append("\" x=\"").Append(Markup.Num(x)).Append("\" y=\"").Append(Markup.Num(y))
            .Append("\" text-anchor=\"").Append(anchor).Append('"');
        if (rotate != 0)
        {
            _sb.Append(" transform=\"rotate(").Append(Markup.Num(rotate)).Append(' ').Append(Markup.Num(x)).Append(' ').Append(Markup.Num(y)).Append(")\"");
        }

        _sb.Append('>');
        if (tooltip is not null)
        {
            _sb.Append("<title>").Append(Markup.Escape(tooltip)).Append("</title>");
        }

        _sb.Append(Markup.Escape(text)).Append("</text>\n");
    }

    /// <summary>A legend entry: a swatch of the given class and its label.</summary>
    public void LegendEntry(double x, double y, string swatchClass, string label)
    {
        Rect(x, y - 10, 14, 14, swatchClass);
        Text(x + 20, y + 2, label, "legend");
    }

    /// <summary>Left and bottom axis lines with a label on each, and horizontal grid lines at the y ticks.</summary>
    public void Axes(Axis x, Axis y, string xLabel, string yLabel, IEnumerable<(double Value, string Label)> yTicks)
    {
        foreach (var (value, label) in yTicks)
        {
            var py = y.Map(value);
            Line(x.PixelStart, py, x.PixelEnd, py, "grid");
            Text(x.PixelStart - 8, py + 4, label, "tick", "end");
        }

        Line(x.PixelStart, y.PixelStart, x.PixelEnd, y.PixelStart, "axis");
        Line(x.PixelStart, y.PixelStart, x.PixelStart, y.PixelEnd, "axis");
        Text((x.PixelStart + x.PixelEnd) / 2, Height - 8, xLabel, "axis-label", "middle");
        Text(18, (y.PixelStart + y.PixelEnd) / 2, yLabel, "axis-label", "middle", -90);
    }

    public override string ToString() => _sb + "</svg>\n";

    private void CloseWithTooltip(string element, string? tooltip)
    {
        if (tooltip is null)
        {
            _sb.Append("/>\n");
        }
        else
        {
            _sb.Append("><title>").Append(Markup.Escape(tooltip)).Append("</title></").Append(element).Append(">\n");
        }
    }
}
