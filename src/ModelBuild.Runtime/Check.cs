namespace ModelBuild.Runtime;

/// <summary>Argument checks for the public kernel entry points; messages give the expected length.</summary>
internal static class Check
{
    public static void AtLeast(int actual, long expected, string name, string formula)
    {
        if (actual < expected)
        {
            throw new ArgumentException($"{name} must hold at least {expected} floats ({formula}) but has {actual}.", name);
        }
    }

    public static void BiasLength(ReadOnlySpan<float> bias, int n)
    {
        if (!bias.IsEmpty && bias.Length != n)
        {
            throw new ArgumentException($"bias must be empty or hold exactly {n} floats but has {bias.Length}.", nameof(bias));
        }
    }

    public static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{name} must be positive but is {value}.", name);
        }
    }
}
