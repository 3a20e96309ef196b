using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Manifest;

/// <summary>One compression pass requested by the manifest. Each pass kind is a sealed record deriving from this.</summary>
public abstract record PassSpec
{
    /// <summary>The key that names the pass in the manifest, e.g. <c>quantize</c>.</summary>
    public abstract string Name { get; }

    /// <summary>A short, stable description for logs, reports and the plan, e.g. <c>quantize(int8,per-channel,symmetric)</c>.</summary>
    public abstract string Describe();

    /// <summary>The pass that carries out this step.</summary>
    public abstract Passes.ICompressionPass CreatePass();
}

/// <summary>Linear weight quantisation (<c>{"quantize": {...}}</c>).</summary>
/// <param name="Weights">The stored integer type.</param>
/// <param name="Granularity">One scale per output channel or one per tensor.</param>
/// <param name="Symmetric">True: zero point 0; false: a scale and a zero point.</param>
public sealed record QuantizeSpec(WeightType Weights, QuantGranularity Granularity, bool Symmetric) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "quantize";

    /// <inheritdoc />
    public override string Name => PassName;

    /// <inheritdoc />
    public override string Describe() =>
        $"{PassName}({ManifestNames.Of(Weights)},{ManifestNames.Of(Granularity)},{(Symmetric ? "symmetric" : "asymmetric")})";

    /// <inheritdoc />
    public override Passes.ICompressionPass CreatePass() => new Passes.LinearQuantizePass(this);
}

/// <summary>The manifest spellings of enum values (one table, used for parsing and describing).</summary>
internal static class ManifestNames
{
    public static readonly IReadOnlyList<(string Name, WeightType Value)> WeightTypes = [("int8", WeightType.Int8)];

    public static readonly IReadOnlyList<(string Name, QuantGranularity Value)> Granularities =
        [("per-channel", QuantGranularity.PerChannel), ("per-tensor", QuantGranularity.PerTensor)];

    public static string Of(WeightType value) => WeightTypes.First(p => p.Value == value).Name;

    public static string Of(QuantGranularity value) => Granularities.First(p => p.Value == value).Name;
}
