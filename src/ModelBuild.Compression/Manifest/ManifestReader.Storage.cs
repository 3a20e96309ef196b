namespace ModelBuild.Compression.Manifest;

/// <summary>Readers of the storage passes (<c>entropy</c>).</summary>
internal static partial class ManifestReader
{
    private static readonly string[] EntropyKeys = ["codec"];

    static partial void RegisterStorage(IDictionary<string, Func<JsonObject, string, PassSpec>> table) =>
        table[EntropySpec.PassName] = ReadEntropy;

    private static EntropySpec ReadEntropy(JsonObject settings, string path)
    {
        CheckKeys(settings, EntropyKeys, path, "in the 'entropy' pass");
        var codec = ReadString(settings, "codec", path) ?? EntropySpec.Brotli;
        if (codec != EntropySpec.Brotli)
        {
            throw BadValue(path, Find(settings, "codec")!, $"'codec' must be \"{EntropySpec.Brotli}\", not \"{codec}\"");
        }

        return new EntropySpec(codec);
    }
}

/// <summary>Entropy-code the blob's payload (<c>{"entropy": {"codec": "brotli"}}</c>); decoded once at load.</summary>
/// <param name="Codec">The codec; only <c>brotli</c> exists.</param>
public sealed record EntropySpec(string Codec) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "entropy";

    /// <summary>The one codec.</summary>
    public const string Brotli = "brotli";

    /// <inheritdoc />
    public override string Name => PassName;

    /// <inheritdoc />
    public override string Describe() => $"{PassName}({Codec})";

    /// <inheritdoc />
    public override Passes.ICompressionPass CreatePass() => new Passes.EntropyPass();
}
