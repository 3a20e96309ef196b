using System.Collections.Generic;
using System.Globalization;

namespace ModelBuild.Generator.Parsing;

/// <summary>
/// One tokenized plan line with typed accessors. Every accessor failure names the key and points at
/// the token (or the line start when the key is missing), so the user sees where the plan is wrong.
/// </summary>
internal sealed class PlanRecord(int line, List<PlanToken> tokens)
{
    public int Line { get; } = line;

    public string Keyword => tokens[0].Value;

    /// <summary>The bare or quoted tokens after the keyword that are not <c>key=value</c>.</summary>
    public List<PlanToken> Positional
    {
        get
        {
            var list = new List<PlanToken>();
            for (var i = 1; i < tokens.Count; i++)
            {
                if (tokens[i].Key is null)
                {
                    list.Add(tokens[i]);
                }
            }

            return list;
        }
    }

    /// <summary>The <c>key=value</c> tokens, in order.</summary>
    public List<PlanToken> KeyValues
    {
        get
        {
            var list = new List<PlanToken>();
            foreach (var t in tokens)
            {
                if (t.Key is not null)
                {
                    list.Add(t);
                }
            }

            return list;
        }
    }

    public PlanException Error(string message, int column = 1) => new(DiagnosticIds.MalformedPlan, message, Line, column);

    public PlanToken Arg(int index)
    {
        var positional = Positional;
        return index < positional.Count
            ? positional[index]
            : throw Error("'" + Keyword + "' needs " + (index + 1) + " value(s) after the keyword");
    }

    public PlanToken? Find(string key)
    {
        // Unknown keys are ignored by design (minor format additions stay readable); the first wins.
        foreach (var t in tokens)
        {
            if (t.Key == key)
            {
                return t;
            }
        }

        return null;
    }

    public PlanToken Key(string key) => Find(key) ?? throw Error("'" + Keyword + "' is missing " + key + "=");

    public string String(string key) => Key(key).Value;

    public int Int(string key, int min = 0) => ParseInt(Key(key), key, min);

    public long Long(string key)
    {
        var t = Key(key);
        return long.TryParse(t.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Error(key + "=" + t.Value + " is not a non-negative integer", t.Column);
    }

    public int[] Ints(string key, int min = 0)
    {
        var t = Key(key);
        if (t.Value.Length == 0)
        {
            // An empty list is a rank-0 (per-sample scalar) shape.
            return [];
        }

        var parts = t.Value.Split(',');
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            values[i] = ParseInt(new PlanToken(key, parts[i], false, t.Column), key, min);
        }

        return values;
    }

    public PlanException IntError(PlanToken t, string key, int min) =>
        Error(key + "=" + t.Value + " is not an integer ≥ " + min.ToString(CultureInfo.InvariantCulture), t.Column);

    private int ParseInt(PlanToken t, string key, int min) =>
        int.TryParse(t.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v >= min
            ? v
            : throw IntError(t, key, min);
}
