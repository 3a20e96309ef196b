using System.Globalization;
using System.Text;

namespace ModelBuild.Compression.Planning;

/// <summary>Writes a <see cref="ModelPlan"/> as plan text v1: invariant culture, LF line ends, fixed record order.</summary>
public static class PlanWriter
{
    public static string Write(ModelPlan plan)
    {
        var sb = new StringBuilder();
        void Line(string text) => sb.Append(text).Append('\n');

        Line($"mbplan {ModelPlan.FormatVersion}");
        Line($"class {plan.ClassName}");
        Line(plan.Namespace.Length == 0 ? "namespace" : $"namespace {plan.Namespace}");
        Line($"source {Quote(plan.SourceFile)}");
        Line($"resource {Quote(plan.ResourceName)}");
        Line($"info originalBytes={Num(plan.OriginalBytes)} embeddedBytes={Num(plan.EmbeddedBytes)} passes={Quote(plan.Passes)}");
        Line(plan.BatchSymbol is { } symbol ? $"batch dynamic {Quote(symbol)}" : $"batch fixed {Num(plan.FixedBatch)}");
        Line($"arena perSample={Num(plan.PerSampleFloats)} scratch={Num(plan.ScratchFloats)}");
        foreach (var b in plan.Buffers)
        {
            Line($"buffer {Num(b.Id)} offset={Num(b.Offset)} size={Num(b.Size)}");
        }

        foreach (var w in plan.Weights)
        {
            Line($"weight {Num(w.Index)} name={Quote(w.Name)} format={w.Format} dims={List(w.Dims)}");
        }

        foreach (var t in plan.Inputs)
        {
            Line($"input {Num(t.Index)} name={Quote(t.Name)} buffer={Num(t.Buffer)} shape={t.Shape} doc={Quote(t.Doc)}");
        }

        foreach (var t in plan.Outputs)
        {
            Line($"output {Num(t.Index)} name={Quote(t.Name)} buffer={Num(t.Buffer)} shape={t.Shape} doc={Quote(t.Doc)}");
        }

        foreach (var op in plan.Ops)
        {
            sb.Append("op ").Append(op.Kind).Append(" node=").Append(Quote(op.Node));
            foreach (var (key, value) in op.Args)
            {
                sb.Append(' ').Append(key).Append('=').Append(value);
            }

            sb.Append('\n');
        }

        Line("end");
        return sb.ToString();
    }

    internal static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Num(float value) => float.IsPositiveInfinity(value) ? "inf"
        : float.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    internal static string List(IEnumerable<int> values) => string.Join(",", values.Select(v => Num(v)));

    internal static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }
}
