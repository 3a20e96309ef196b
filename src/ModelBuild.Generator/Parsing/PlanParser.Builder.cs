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
        private readonly List<BufferSpec> _buffers = [];
        private readonly List<WeightSpec> _weights = [];
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
        private BatchSpec? _batch;
        private int _perSample = -1;
        private int _scratch;

        public PredictorSpec Build(List<PlanRecord> records)
        {
            var end = records[records.Count - 1];
            foreach (var r in records)
            {
                Apply(r);
            }

            var missing = _class is null ? "class" : _resource is null ? "resource" : _batch is null ? "batch"
                : _perSample < 0 ? "arena" : _inputs.Count == 0 ? "input" : _outputs.Count == 0 ? "output" : null;
            if (missing is not null)
            {
                throw end.Error("the plan has no '" + missing + "' record");
            }

            return new PredictorSpec(
                path, _class!, _namespace, _source, _resource!, _info, _batch!, _perSample, _scratch,
                EquatableArray.From(_buffers), EquatableArray.From(_weights), EquatableArray.From(_inputs),
                EquatableArray.From(_outputs), EquatableArray.From(_ops));
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
                case "batch":
                    ApplyBatch(r);
                    break;
                case "arena":
                    _perSample = r.Int("perSample");
                    _scratch = r.Int("scratch");
                    break;
                case "buffer":
                    ApplyBuffer(r);
                    break;
                case "weight":
                    var index = Index(r, _weights.Count);
                    _weights.Add(new WeightSpec(index, r.String("name"), r.String("format"), EquatableArray.From(r.Ints("dims"))));
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

        private void ApplyBatch(PlanRecord r)
        {
            var kind = r.Arg(0);
            if (kind.Value == "dynamic")
            {
                _batch = new BatchSpec(true, r.Positional.Count > 1 ? r.Arg(1).Value : "N", 0);
            }
            else if (kind.Value == "fixed")
            {
                var n = r.Arg(1);
                _batch = int.TryParse(n.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size >= 1
                    ? new BatchSpec(false, "", size)
                    : throw r.IntError(n, "batch fixed", 1);
            }
            else
            {
                throw r.Error("batch must be 'dynamic \"<symbol>\"' or 'fixed <n>'", kind.Column);
            }
        }

        private void ApplyBuffer(PlanRecord r)
        {
            var id = Index(r, _buffers.Count);
            var offset = r.Int("offset");
            var size = r.Int("size");
            if ((long)offset + size > _perSample)
            {
                throw r.Error("buffer " + id.ToString(CultureInfo.InvariantCulture) + " ends past the arena's perSample size", r.Key("size").Column);
            }

            _buffers.Add(new BufferSpec(id, offset, size));
        }

        private TensorSpec Tensor(PlanRecord r, int expected, HashSet<string> names)
        {
            var index = Index(r, expected);
            var name = r.String("name");
            var buffer = BufferId(r, r.Key("buffer"));
            var shape = r.Key("shape");
            var parts = shape.Value.Split(',');
            var dims = new List<int>();
            long count = 1;
            for (var i = 1; i < parts.Length; i++)
            {
                var dim = new PlanToken("shape", parts[i], false, shape.Column);
                dims.Add(int.TryParse(dim.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d >= 1 ? d : throw r.IntError(dim, "shape", 1));
                count *= dims[dims.Count - 1];
            }

            if (count != _buffers[buffer].Size)
            {
                throw r.Error("shape " + shape.Value + " does not match the size of buffer " + buffer.ToString(CultureInfo.InvariantCulture), shape.Column);
            }

            var identifier = Identifiers.Unique(Identifiers.ToPascalCase(name), names, _class ?? "");
            return new TensorSpec(index, name, identifier, buffer, EquatableArray.From(dims), r.Find("doc")?.Value ?? "");
        }

        private static int Index(PlanRecord r, int expected)
        {
            var t = r.Arg(0);
            return int.TryParse(t.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i == expected
                ? i
                : throw r.Error("'" + r.Keyword + "' ids must count up from 0: expected " + expected.ToString(CultureInfo.InvariantCulture), t.Column);
        }

        private int BufferId(PlanRecord r, PlanToken t)
        {
            return int.TryParse(t.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id < _buffers.Count
                ? id
                : throw r.Error(t.Key + "=" + t.Value + " is not a buffer id (the plan has " + _buffers.Count.ToString(CultureInfo.InvariantCulture) + ")", t.Column);
        }

        private int WeightId(PlanRecord r, PlanToken t)
        {
            return int.TryParse(t.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id < _weights.Count
                ? id
                : throw r.Error(t.Key + "=" + t.Value + " is not a weight id (the plan has " + _weights.Count.ToString(CultureInfo.InvariantCulture) + ")", t.Column);
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
    }
}
