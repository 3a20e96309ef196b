namespace ModelBuild.Compression.Reporting.Html;

/// <summary>The report's only stylesheet. Colours are variables, swapped for dark mode; charts use the same ones.</summary>
internal static class HtmlStyle
{
    // No '<' or '&' here: the page must stay well-formed when read as XML.
    public const string Css = """

:root { --bg: #ffffff; --fg: #1d2330; --muted: #5b6476; --grid: #e3e7ee; --line: #c9d0dc; --head: #f3f5f9;
  --before: #8aa4cc; --after: #e0702a; --chosen: #c8102e; --ok: #1a7f37; --bad: #c8102e; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #15181e; --fg: #e4e8ef; --muted: #9aa4b5; --grid: #2a303b; --line: #3a4250; --head: #1e232b;
    --before: #6f8fc2; --after: #f28c45; --chosen: #ff5c6c; --ok: #4ac26b; --bad: #ff6b6b; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 20px; }
h1 { font-size: 26px; margin: 0 0 8px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.summary { font-size: 18px; font-weight: 600; margin: 0 0 12px; }
.summary.pass { color: var(--ok); }
.summary.fail { color: var(--bad); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; color: var(--muted); }
dt { font-weight: 600; }
dd { margin: 0; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--grid); text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; }
tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
pre { background: var(--head); border: 1px solid var(--line); padding: 10px 12px; overflow-x: auto; font-size: 13px; }
.note { color: var(--muted); font-size: 13px; margin: 0 0 6px; }
svg.chart { display: block; width: 100%; height: auto; max-width: 1200px; }
svg.chart text { fill: var(--fg); font-size: 13px; }
svg.chart text.tick { fill: var(--muted); font-size: 12px; }
svg.chart text.axis-label { font-weight: 600; }
svg.chart text.annotation { font-size: 12px; }
svg.chart .axis { stroke: var(--fg); stroke-width: 1; }
svg.chart .grid { stroke: var(--grid); stroke-width: 1; }
svg.chart .ref { stroke: var(--muted); stroke-width: 1; stroke-dasharray: 5 4; }
svg.chart .ref.limit { stroke: var(--bad); }
svg.chart .before { fill: var(--before); }
svg.chart .after { fill: var(--after); }
svg.chart .point { fill: var(--before); stroke: var(--fg); stroke-width: 0.5; }
svg.chart .point.chosen, svg.chart .swatch.chosen { fill: var(--chosen); }
svg.chart .swatch.point { fill: var(--before); }
svg.chart .ring { fill: none; stroke: var(--chosen); stroke-width: 2; }
svg.chart .front { stroke: var(--fg); stroke-width: 1; }
svg.chart .point.front, svg.chart .swatch.front { fill: var(--fg); }
td.meter { width: 40%; }
td.meter span { display: inline-block; height: 10px; background: var(--after); border-radius: 2px; }
footer { max-width: 1240px; margin: 0 auto; padding: 12px 20px 24px; color: var(--muted); font-size: 12px; }

""";
}
