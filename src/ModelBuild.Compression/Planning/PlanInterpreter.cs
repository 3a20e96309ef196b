using System.Globalization;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// Runs plan text with the runtime's operators, without generating or compiling C#: the build executes the plan it
/// ships this way and compares it with ONNX Runtime. Ops are built by <see cref="OpCodec"/> from the same keys
/// the generator turns into named constructor arguments, so both paths construct equal operators.
/// </summary>
public static class PlanInterpreter
{
    /// <summary>Parses plan text into a program over <paramref name="blob"/>.</summary>
    /// <exception cref="FormatException">The text is not a valid version-2 plan.</exception>
    public static ModelProgram Load(string planText, WeightBlob blob) => Load(planText, () => blob);

    /// <summary>
    /// Parses plan text into a program whose blob <paramref name="loadBlob"/> loads on the program's first use, so a
    /// caller can run ONNX Runtime on a large model before the blob is in memory (issue 12).
    /// </summary>
    /// <exception cref="FormatException">The text is not a valid version-2 plan.</exception>
    public static ModelProgram Load(string planText, Func<WeightBlob> loadBlob)
    {
        var values = new List<ValueDecl>();
        var ops = new List<Op>();
        var inputs = new List<int>();
        var outputs = new List<int>();
        var lineNo = 0;
        foreach (var line in planText.Split('\n'))
        {
            lineNo++;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            try
            {
                var tokens = PlanTokens.Split(line);
                var args = tokens.Skip(2).Where(t => t.Contains('=', StringComparison.Ordinal))
                    .ToDictionary(t => t[..t.IndexOf('=', StringComparison.Ordinal)], t => t[(t.IndexOf('=', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);
                switch (tokens[0])
                {
                    case "mbplan" when tokens[1] != "2":
                        throw new FormatException($"plan version {tokens[1]} (this build reads version 2)");
                    case "value":
                        values.Add(Value(args));
                        break;
                    case "input":
                        inputs.Add(int.Parse(args["value"], CultureInfo.InvariantCulture));
                        break;
                    case "output":
                        outputs.Add(int.Parse(args["value"], CultureInfo.InvariantCulture));
                        break;
                    case "op":
                        var node = PlanTokens.Unquote(args["node"]);
                        args.Remove("node");
                        ops.Add(OpCodec.Read(tokens[1], node, args));
                        break;
                }
            }
            catch (Exception e) when (e is FormatException or KeyNotFoundException or ArgumentException or IndexOutOfRangeException or OverflowException)
            {
                throw new FormatException($"plan line {lineNo}: {e.Message}", e);
            }
        }

        return new ModelProgram(values.ToArray(), ops.ToArray(), inputs.ToArray(), outputs.ToArray(), loadBlob);
    }

    private static ValueDecl Value(Dictionary<string, string> args)
    {
        var name = PlanTokens.Unquote(args["name"]);
        var type = args["type"] switch
        {
            "float32" => TensorType.Float32,
            "int64" => TensorType.Int64,
            "bool" => TensorType.Bool,
            var t => throw new FormatException($"unknown type '{t}'"),
        };
        if (args.TryGetValue("slot", out var slot))
        {
            return ValueDecl.Activation(name, type, int.Parse(slot, CultureInfo.InvariantCulture));
        }

        var dims = List(args["dims"], s => int.Parse(s, CultureInfo.InvariantCulture));
        if (args.TryGetValue("blob", out var entry))
        {
            return ValueDecl.Blob(name, int.Parse(entry, CultureInfo.InvariantCulture), dims);
        }

        return type == TensorType.Float32
            ? ValueDecl.Inline(name, List(args["data"], PlanTokens.Float), dims)
            : ValueDecl.Inline(name, type, List(args["data"], s => long.Parse(s, CultureInfo.InvariantCulture)), dims);
    }

    private static T[] List<T>(string token, Func<string, T> parse) =>
        token is ['[', .., ']'] ? token.Length == 2 ? [] : token[1..^1].Split(',').Select(parse).ToArray()
            : throw new FormatException($"'{token}' is not a list");
}
