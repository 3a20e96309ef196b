using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// Writes an <see cref="Op"/> record as a plan <c>op</c> record and reads it back, by the record's constructor
/// parameters: the key is the parameter name, the value a token of the parameter's type (CONTRACTS §1). This is the
/// same mapping the generator's named arguments give, so the plan interpreter and generated code build equal ops.
/// </summary>
public static class OpCodec
{
    private const string OpsNamespace = "ModelBuild.Runtime.Ops.";

    /// <summary>The plan kind of an op: its type name without the <c>Op</c> suffix (<c>ConvOp</c> → <c>Conv</c>).</summary>
    public static string Kind(Op op) => op.GetType().Name[..^2];

    /// <summary>The constructor whose parameters are the op's plan keys.</summary>
    public static ConstructorInfo Constructor(Type type) =>
        type.GetConstructors().Where(c => c.GetParameters().Length > 0 && c.GetParameters()[0].ParameterType != type)
            .OrderByDescending(c => c.GetParameters().Length).First();

    /// <summary>The <c>op</c> line of <paramref name="op"/> (without the trailing newline).</summary>
    public static string Write(Op op)
    {
        var type = op.GetType();
        var sb = new StringBuilder("op ").Append(Kind(op)).Append(" node=").Append(PlanWriter.Quote(op.Node));
        foreach (var p in Constructor(type).GetParameters())
        {
            var value = type.GetProperty(p.Name!)!.GetValue(op);
            if (p.HasDefaultValue && Equals(value, p.DefaultValue))
            {
                // An optional key at its default is left out, so adding one (ConvOp.Residual) leaves existing plans as they were.
                continue;
            }

            sb.Append(' ').Append(p.Name).Append('=').Append(Token(value, p.ParameterType));
        }

        return sb.ToString();
    }

    /// <summary>Builds the op of kind <paramref name="kind"/> from its plan arguments (the interpreter's path).</summary>
    /// <exception cref="FormatException">Unknown kind, a missing or unknown key, or a token of the wrong type.</exception>
    public static Op Read(string kind, string node, IReadOnlyDictionary<string, string> args)
    {
        // The ONNX Runtime fallback's op lives in ModelBuild.OnnxRuntime (same namespace), which only its users load.
        var type = typeof(Op).Assembly.GetType(OpsNamespace + kind + "Op")
            ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(OpsNamespace + kind + "Op")).FirstOrDefault(t => t is not null && t.IsSubclassOf(typeof(Op)))
            ?? throw new FormatException($"unknown op kind '{kind}'");
        var ctor = Constructor(type);
        var parameters = ctor.GetParameters();
        foreach (var key in args.Keys.Where(k => parameters.All(p => p.Name != k)))
        {
            throw new FormatException($"op {kind} has no key '{key}'");
        }

        var values = parameters.Select(p => args.TryGetValue(p.Name!, out var token)
            ? Parse(token, p.ParameterType)
            : p.HasDefaultValue ? p.DefaultValue
            : throw new FormatException($"op {kind} lacks the key '{p.Name}'")).ToArray();
        return (Op)ctor.Invoke(values) with { Node = node };
    }

    private static string Token(object? value, Type type) => value switch
    {
        null => "\"\"",
        string s => PlanWriter.Quote(s),
        bool b => b ? "true" : "false",
        float f => PlanWriter.Num(f),
        int or long => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        Enum e => type.Name + "." + e,
        IEnumerable list => "[" + string.Join(",", list.Cast<object>().Select(v => Token(v, type.GetElementType()!))) + "]",
        _ => throw new NotSupportedException($"plan tokens cannot hold {type.Name}"),
    };

    private static object Parse(string token, Type type)
    {
        if (type.IsArray)
        {
            if (token.Length < 2 || token[0] != '[' || token[^1] != ']')
            {
                throw new FormatException($"'{token}' is not a list");
            }

            var items = token.Length == 2 ? [] : token[1..^1].Split(',');
            var element = type.GetElementType()!;
            var array = Array.CreateInstance(element, items.Length);
            for (var i = 0; i < items.Length; i++)
            {
                array.SetValue(Parse(items[i], element), i);
            }

            return array;
        }

        if (type == typeof(string))
        {
            return PlanTokens.Unquote(token);
        }

        if (type == typeof(bool))
        {
            return token switch { "true" => true, "false" => false, _ => throw new FormatException($"'{token}' is not true/false") };
        }

        if (type == typeof(float))
        {
            return PlanTokens.Float(token);
        }

        if (type == typeof(int))
        {
            return int.Parse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        if (type == typeof(long))
        {
            return long.Parse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        if (type.IsEnum && token.StartsWith(type.Name + ".", StringComparison.Ordinal)
            && Enum.TryParse(type, token[(type.Name.Length + 1)..], ignoreCase: false, out var value) && Enum.IsDefined(type, value!))
        {
            return value!;
        }

        throw new FormatException($"'{token}' is not a {type.Name}");
    }
}
