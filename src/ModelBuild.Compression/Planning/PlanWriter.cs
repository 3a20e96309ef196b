using System.Globalization;
using System.Text;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Planning;

/// <summary>Writes a <see cref="ModelPlan"/> as plan text v2 (CONTRACTS §1): invariant culture, LF line ends, fixed record order.</summary>
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
        foreach (var w in plan.Weights)
        {
            Line($"weight {Num(w.Index)} name={Quote(w.Name)} format={w.Format} dims={List(w.Dims)}");
        }

        for (var i = 0; i < plan.Values.Count; i++)
        {
            Line(Value(i, plan.Values[i], plan.ValueShapes[i]));
        }

        foreach (var t in plan.Inputs)
        {
            Line($"input {Num(t.Index)} name={Quote(t.Name)} value={Num(t.Value)} type={TypeName(t.Type)} shape={Shape(t.Shape)} doc={Quote(t.Doc)}");
        }

        foreach (var t in plan.Outputs)
        {
            Line($"output {Num(t.Index)} name={Quote(t.Name)} value={Num(t.Value)} type={TypeName(t.Type)} shape={Shape(t.Shape)} doc={Quote(t.Doc)}");
        }

        foreach (var op in plan.Ops)
        {
            Line(OpCodec.Write(op));
        }

        Line("end");
        return sb.ToString();
    }

    /// <summary>A <c>value</c> record: storage (slot, blob entry or inline data) and the build-time shape for docs.</summary>
    private static string Value(int id, ValueDecl v, IReadOnlyList<string>? shape)
    {
        var sb = new StringBuilder($"value {Num(id)} name={Quote(v.Name)} type={TypeName(v.Type)}");
        if (v.IsActivation)
        {
            sb.Append(" slot=").Append(Num(v.Slot));
        }
        else if (v.BlobEntry >= 0)
        {
            sb.Append(" blob=").Append(Num(v.BlobEntry)).Append(" dims=[").Append(List(v.Shape)).Append(']');
        }
        else
        {
            sb.Append(" dims=[").Append(List(v.Shape)).Append("] data=[");
            sb.Append(v.Floats is { } f ? string.Join(",", f.Select(Num)) : List(v.Longs ?? [])).Append(']');
        }

        if (shape is not null)
        {
            sb.Append(" shape=").Append(Shape(shape));
        }

        return sb.ToString();
    }

    public static string TypeName(TensorType type) => type switch
    {
        TensorType.Float32 => "float32",
        TensorType.Int64 => "int64",
        _ => "bool",
    };

    /// <summary>A shape as a quoted list of dims (numbers or symbol names, <c>?</c> when unknown).</summary>
    private static string Shape(IReadOnlyList<string> dims) => Quote(string.Join(",", dims));

    internal static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Num(float value) => float.IsPositiveInfinity(value) ? "inf"
        : float.IsNegativeInfinity(value) ? "-inf"
        : float.IsNaN(value) ? "nan"
        : value.ToString("R", CultureInfo.InvariantCulture);

    internal static string List<T>(IEnumerable<T> values)
        where T : IFormattable => string.Join(",", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture)));

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
                '\r' => "\\r",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }
}
