using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;
using ModelBuild.Generator.Model;

namespace ModelBuild.Generator.Parsing;

internal static partial class PlanParser
{
    /// <summary>Accumulates records (in rank order) and checks every cross-reference as it goes.</summary>
    private sealed partial class Builder(string path)
    {
        private readonly List<WeightSpec> _weights = [];
        private readonly List<ValueSpec> _values = [];
        private readonly List<TensorSpec> _inputs = [];
        private readonly List<TensorSpec> _outputs = [];
        private readonly List<OpSpec> _ops = [];
        private readonly HashSet<string> _inputNames = [];
        private readonly HashSet<string> _outputNames = [];
        private string? _class;
        private string _namespace = "";
        private string _source = "";
        private string? _resource;
        private InfoSpec _info = new(0, 0, EquatableArray<string>.Empty);

        public PredictorSpec Build(List<PlanRecord> records)
        {
            var end = records[records.Count - 1];
            foreach (var r in records)
            {
                Apply(r);
            }

            var missing = _class is null ? "class" : _resource is null ? "resource" : _outputs.Count == 0 ? "output" : null;
            if (missing is not null)
            {
                throw end.Error("the plan has no '" + missing + "' record");
            }

            return new PredictorSpec(
                path, _class!, _namespace, _source, _resource!, _info, EquatableArray.From(_weights), EquatableArray.From(_values),
                EquatableArray.From(_inputs), EquatableArray.From(_outputs), EquatableArray.From(_ops));
        }

        private void Apply(PlanRecord r)
        {
            switch (r.Keyword)
            {
                case "class":
                    var name = r.Arg(0);
                    _class = SyntaxFacts.IsValidIdentifier(name.Value) && SyntaxFacts.GetKeywordKind(name.Value) == SyntaxKind.None
                        ? name.Value
                        : throw r.Error("class name '" + name.Value + "' is not a C# identifier", name.Column);
                    break;
                case "namespace":
                    ApplyNamespace(r);
                    break;
                case "source":
                    _source = r.Arg(0).Value;
                    break;
                case "resource":
                    _resource = r.Arg(0).Value;
                    break;
                case "info":
                    _info = new InfoSpec(r.Long("originalBytes"), r.Long("embeddedBytes"), SplitPasses(r.Find("passes")?.Value ?? ""));
                    break;
                case "weight":
                    var index = Index(r, _weights.Count);
                    _weights.Add(new WeightSpec(index, r.String("name"), r.String("format"), EquatableArray.From(ParseList(r, r.Key("dims")))));
                    break;
                case "value":
                    _values.Add(Value(r));
                    break;
                case "input":
                    _inputs.Add(Tensor(r, _inputs.Count, _inputNames));
                    break;
                case "output":
                    _outputs.Add(Tensor(r, _outputs.Count, _outputNames));
                    break;
                case "op":
                    _ops.Add(Op(r));
                    break;
                default:
                    // mbplan (checked while reading) and end carry nothing more.
                    break;
            }
        }

        private void ApplyNamespace(PlanRecord r)
        {
            var tokens = r.Positional;
            if (tokens.Count == 0)
            {
                return;
            }

            foreach (var part in tokens[0].Value.Split('.'))
            {
                if (!SyntaxFacts.IsValidIdentifier(part) || SyntaxFacts.GetKeywordKind(part) != SyntaxKind.None)
                {
                    throw r.Error("namespace '" + tokens[0].Value + "' is not a C# namespace", tokens[0].Column);
                }
            }

            _namespace = tokens[0].Value;
        }

        private ValueSpec Value(PlanRecord r)
        {
            var id = Index(r, _values.Count);
            var type = Type(r);
            var shape = r.Find("shape")?.Value ?? "";
            if (r.Find("slot") is not null)
            {
                return new ValueSpec(id, r.String("name"), type, r.Int("slot"), -1, EquatableArray<int>.Empty, "", shape);
            }

            var dims = EquatableArray.From(ParseList(r, r.Key("dims")));
            if (r.Find("blob") is { } blob)
            {
                var entry = r.Int("blob");
                if (entry >= _weights.Count || type != "float32")
                {
                    throw r.Error("blob=" + blob.Value + " is not a float32 weight entry of this plan", blob.Column);
                }

                return new ValueSpec(id, r.String("name"), type, -1, entry, dims, "", shape);
            }

            var data = r.Key("data");
            OpTokens.Check(r, data);
            return new ValueSpec(id, r.String("name"), type, -1, -1, dims, data.Value, shape);
        }

        private TensorSpec Tensor(PlanRecord r, int expected, HashSet<string> names)
        {
            var index = Index(r, expected);
            var name = r.String("name");
            var value = r.Key("value");
            var id = r.Int("value");
            if (id >= _values.Count || _values[id].Slot < 0)
            {
                throw r.Error("value=" + value.Value + " is not an activation of this plan", value.Column);
            }

            var shape = r.String("shape");
            var dims = shape.Length == 0 ? [] : shape.Split(',');
            var identifier = Identifiers.Unique(Identifiers.ToPascalCase(name), names, _class ?? "");
            return new TensorSpec(index, name, identifier, id, Type(r), EquatableArray.From(dims), r.Find("doc")?.Value ?? "");
        }

        private static string Type(PlanRecord r)
        {
            var t = r.Key("type");
            return t.Value is "float32" or "int64" or "bool" ? t.Value : throw r.Error("type=" + t.Value + " is not float32, int64 or bool", t.Column);
        }

        private static int Index(PlanRecord r, int expected)
        {
            var t = r.Arg(0);
            return int.TryParse(t.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i == expected
                ? i
                : throw r.Error("'" + r.Keyword + "' ids must count up from 0: expected " + expected.ToString(CultureInfo.InvariantCulture), t.Column);
        }

        private static int[] ParseList(PlanRecord r, PlanToken t)
        {
            var text = t.Value;
            if (text.StartsWith("[", System.StringComparison.Ordinal) && text.EndsWith("]", System.StringComparison.Ordinal))
            {
                text = text.Substring(1, text.Length - 2);
            }

            if (text.Length == 0)
            {
                return [];
            }

            var parts = text.Split(',');
            var values = new int[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                values[i] = int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw r.IntError(t, t.Key ?? "", 0);
            }

            return values;
        }

        /// <summary>Splits <c>a(x,y),b</c> at top-level commas or semicolons: commas inside parentheses belong to a pass.</summary>
        private static EquatableArray<string> SplitPasses(string passes)
        {
            var list = new List<string>();
            var depth = 0;
            var start = 0;
            for (var i = 0; i <= passes.Length; i++)
            {
                var c = i < passes.Length ? passes[i] : ';';
                depth += c == '(' ? 1 : c == ')' ? -1 : 0;
                if ((c == ';' || c == ',') && depth <= 0)
                {
                    var pass = passes.Substring(start, i - start).Trim();
                    if (pass.Length > 0)
                    {
                        list.Add(pass);
                    }

                    start = i + 1;
                }
            }

            return EquatableArray.From(list);
        }

        private OpSpec Op(PlanRecord r)
        {
            var kind = r.Arg(0);
            if (!SyntaxFacts.IsValidIdentifier(kind.Value + "Op"))
            {
                throw r.Error("op kind '" + kind.Value + "' is not an identifier", kind.Column);
            }

            var node = r.Find("node")?.Value ?? "";
            var args = new List<OpArg>();
            foreach (var t in r.KeyValues)
            {
                if (t.Key == "node")
                {
                    continue;
                }

                if (!SyntaxFacts.IsValidIdentifier(t.Key!) || SyntaxFacts.GetKeywordKind(t.Key!) != SyntaxKind.None)
                {
                    throw r.Error("key '" + t.Key + "' is not an identifier", t.Column);
                }

                OpTokens.Check(r, t);
                args.Add(new OpArg(t.Key!, t.Quoted ? "\"" + t.Value + "\"" : t.Value, t.Quoted));
            }

            return new OpSpec(kind.Value, node, EquatableArray.From(args));
        }
    }
}
