using System.Collections.Generic;
using System.Globalization;

namespace ModelBuild.Generator.Model;

/// <summary>
/// One kernel call. <see cref="Args"/> holds the op's keys in schema order, already validated and normalised
/// by the parser (ids in range, numbers in invariant form), so the emitter only formats them.
/// </summary>
internal sealed record OpSpec(string Kind, string Node, EquatableArray<OpArg> Args)
{
    public string this[string key]
    {
        get
        {
            foreach (var arg in Args)
            {
                if (arg.Key == key)
                {
                    return arg.Value;
                }
            }

            throw new KeyNotFoundException("op " + Kind + " has no key " + key);
        }
    }

    public int Int(string key) => int.Parse(this[key], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public int[] Ints(string key)
    {
        if (this[key].Length == 0)
        {
            return [];
        }

        var parts = this[key].Split(',');
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            values[i] = int.Parse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        return values;
    }
}

/// <summary>One <c>key=value</c> of an op record.</summary>
internal sealed record OpArg(string Key, string Value);
