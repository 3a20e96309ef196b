using System;
using System.Collections.Generic;
using System.Globalization;
using ModelBuild.Generator.Model;

namespace ModelBuild.Generator.Parsing;

internal static partial class PlanParser
{
    /// <summary>How an op key is read and checked.</summary>
    private enum ArgType
    {
        Buffer,
        Weight,
        OptionalWeight,
        Int,
        Ints,
        Buffers,
        Operand,
        Activation,
        Float,
        Flag,
        Unary,
        Binary,
    }

    private static readonly string[] s_pool = ["in", "out", "c", "h", "w", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pl", "pb", "pr"];

    /// <summary>The op table (CONTRACTS §1): kind → keys in emission order. A lookup table, not an if-chain.</summary>
    private static readonly Dictionary<string, string[]> s_ops = new()
    {
        ["Dense"] = ["in", "out", "weight", "bias", "rows", "k", "n", "act"],
        ["Conv"] = ["in", "out", "weight", "bias", "c", "h", "w", "oc", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pl", "pb", "pr", "group", "act"],
        ["MaxPool"] = s_pool,
        ["AveragePool"] = [.. s_pool, "countIncludePad"],
        ["GlobalAveragePool"] = ["in", "out", "c", "hw"],
        ["Unary"] = ["fn", "in", "out", "count", "alpha", "beta"],
        ["Binary"] = ["fn", "a", "b", "out", "rank", "shapeA", "shapeB", "shapeOut"],
        ["Softmax"] = ["in", "out", "outer", "axis", "inner"],
        ["Transpose"] = ["in", "out", "shape", "perm"],
        ["Concat"] = ["ins", "out", "outer", "inner", "sizes"],
        ["Copy"] = ["in", "out", "count"],
        ["ChannelAffine"] = ["in", "out", "c", "hw", "scale", "bias"],
    };

    private static readonly HashSet<string> s_unary =
        ["Relu", "Sigmoid", "Tanh", "LeakyRelu", "Clip", "HardSigmoid", "HardSwish", "Exp", "Neg", "Abs", "Sqrt", "Erf", "Gelu"];

    private static readonly HashSet<string> s_binary = ["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"];

    private static ArgType TypeOf(string kind, string key) => key switch
    {
        "in" or "out" => ArgType.Buffer,
        "a" or "b" => ArgType.Operand,
        "weight" => ArgType.Weight,
        "scale" => ArgType.Weight,
        "bias" => kind == "ChannelAffine" ? ArgType.Weight : ArgType.OptionalWeight,
        "ins" => ArgType.Buffers,
        "shapeA" or "shapeB" or "shapeOut" or "shape" or "perm" or "sizes" => ArgType.Ints,
        "act" => ArgType.Activation,
        "alpha" or "beta" => ArgType.Float,
        "countIncludePad" => ArgType.Flag,
        "fn" => kind == "Unary" ? ArgType.Unary : ArgType.Binary,
        _ => ArgType.Int,
    };

    private sealed partial class Builder
    {
        private OpSpec Op(PlanRecord r)
        {
            var kindToken = r.Arg(0);
            if (!s_ops.TryGetValue(kindToken.Value, out var keys))
            {
                throw new PlanException(
                    DiagnosticIds.UnknownOp,
                    "unknown op '" + kindToken.Value + "' (this generator knows " + string.Join(", ", s_ops.Keys) + ")",
                    r.Line,
                    kindToken.Column);
            }

            var kind = kindToken.Value;
            var args = new List<OpArg>();
            foreach (var key in keys)
            {
                args.Add(new OpArg(key, Value(r, kind, key, TypeOf(kind, key))));
            }

            var op = new OpSpec(kind, r.String("node"), EquatableArray.From(args));
            CheckShapes(r, op);
            return op;
        }

        private string Value(PlanRecord r, string kind, string key, ArgType type)
        {
            var token = r.Find(key);
            if (token is null)
            {
                // Keys that have an obvious "nothing" value may be left out.
                switch (type)
                {
                    case ArgType.OptionalWeight: return "-1";
                    case ArgType.Activation: return "none";
                    case ArgType.Float: return "0";
                    case ArgType.Flag: return "0";
                }

                token = r.Key(key);
            }

            var v = token.Value;
            switch (type)
            {
                case ArgType.Buffer:
                    return Invariant(BufferId(r, token));
                case ArgType.Weight:
                    return Invariant(WeightId(r, token));
                case ArgType.OptionalWeight:
                    return v == "-1" ? v : Invariant(WeightId(r, token));
                case ArgType.Buffers:
                    var ids = new List<string>();
                    foreach (var part in v.Split(','))
                    {
                        ids.Add(Invariant(BufferId(r, new PlanToken(key, part, false, token.Column))));
                    }

                    return string.Join(",", ids);
                case ArgType.Ints:
                    // Permutations hold axis numbers from 0; shapes and sizes are extents, at least 1.
                    return string.Join(",", Array.ConvertAll(r.Ints(key, key == "perm" ? 0 : 1), Invariant));
                case ArgType.Int:
                    // Pads and a Binary's rank (scalars) may be 0; every other count, extent, stride or dilation is at least 1.
                    return Invariant(r.Int(key, key is "pt" or "pl" or "pb" or "pr" or "rank" ? 0 : 1));
                case ArgType.Operand:
                    var ref_ = new PlanToken(key, v.Length > 1 ? v.Substring(1) : "", false, token.Column);
                    return v.StartsWith("b", StringComparison.Ordinal) ? "b" + Invariant(BufferId(r, ref_))
                        : v.StartsWith("w", StringComparison.Ordinal) ? "w" + Invariant(WeightId(r, ref_))
                        : throw r.Error(key + "=" + v + " must be b<buffer id> or w<weight id>", token.Column);
                case ArgType.Activation:
                    return v is "none" or "relu" ? v : throw r.Error("act=" + v + " must be none or relu", token.Column);
                case ArgType.Flag:
                    return v is "0" or "1" ? v : throw r.Error(key + "=" + v + " must be 0 or 1", token.Column);
                case ArgType.Float:
                    return Float(r, token);
                default:
                    var known = type == ArgType.Unary ? s_unary : s_binary;
                    return known.Contains(v) ? v : throw r.Error("fn=" + v + " is not a " + kind + " function", token.Column);
            }
        }

        private static string Float(PlanRecord r, PlanToken t)
        {
            if (t.Value is "inf" or "-inf")
            {
                return t.Value;
            }

            return float.TryParse(t.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && !float.IsNaN(f) && !float.IsInfinity(f)
                ? f.ToString("R", CultureInfo.InvariantCulture)
                : throw r.Error(t.Key + "=" + t.Value + " is not a number", t.Column);
        }

        private static void CheckShapes(PlanRecord r, OpSpec op)
        {
            if (op.Kind == "Binary")
            {
                var rank = op.Int("rank");
                foreach (var key in new[] { "shapeA", "shapeB", "shapeOut" })
                {
                    if (op.Ints(key).Length != rank)
                    {
                        throw r.Error(key + " must have rank " + Invariant(rank), r.Key(key).Column);
                    }
                }
            }
            else if (op.Kind == "Transpose")
            {
                var perm = op.Ints("perm");
                var seen = new bool[perm.Length];
                foreach (var p in perm)
                {
                    if (p >= perm.Length || seen[p] || perm.Length != op.Ints("shape").Length)
                    {
                        throw r.Error("perm is not a permutation of the shape's axes", r.Key("perm").Column);
                    }

                    seen[p] = true;
                }
            }
            else if (op.Kind == "Concat" && op.Ints("ins").Length != op.Ints("sizes").Length)
            {
                throw r.Error("Concat needs one size per input", r.Key("sizes").Column);
            }
        }

        private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
