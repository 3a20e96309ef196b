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
/// <param name="Granularity">One scale per output channel, per tensor or per group of inputs.</param>
/// <param name="Symmetric">True: zero point 0; false: a scale and a zero point.</param>
public sealed record QuantizeSpec(WeightType Weights, QuantGranularity Granularity, bool Symmetric) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "quantize";

    /// <summary>Inputs per scale for <see cref="QuantGranularity.PerGroup"/>.</summary>
    public int GroupSize { get; init; } = 128;

    /// <summary>Round to nearest, GPTQ or AdaRound (the last two need calibration).</summary>
    public QuantMethod Method { get; init; } = QuantMethod.Rtn;

    /// <summary>GPTQ: the damping added to the Hessian's diagonal, as a fraction of its mean diagonal.</summary>
    public double Dampening { get; init; } = 0.01;

    /// <summary>GPTQ: columns per lazy batch update.</summary>
    public int BlockSize { get; init; } = 128;

    /// <summary>GPTQ: quantise columns in order of decreasing Hessian diagonal.</summary>
    public bool ActOrder { get; init; }

    /// <summary>The fraction of weights (largest magnitudes) kept exactly in fp16; 0 for none.</summary>
    public double Outliers { get; init; }

    /// <summary>Shift each layer's bias by its mean output error on the calibration data.</summary>
    public bool BiasCorrection { get; init; }

    /// <summary>AdaRound: Adam steps on the rounding variables per layer.</summary>
    public int Iterations { get; init; } = 500;

    /// <summary>BRECQ-style: after each layer, refit its scales and bias to the original model's outputs of that layer.</summary>
    public bool BlockRefit { get; init; }

    /// <summary>Weight names, node names or op types left in float32.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Only these layers (weight names, node names or op types); empty = all.</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <inheritdoc />
    public override string Name => PassName;

    /// <summary>The stored bits per weight (16 for the float types).</summary>
    public int Bits => Weights switch
    {
        WeightType.Int8 => 8,
        WeightType.Int6 => 6,
        WeightType.Int5 => 5,
        WeightType.Int4 => 4,
        WeightType.Int3 => 3,
        WeightType.Int2 or WeightType.Ternary => 2,
        _ => 16,
    };

    /// <inheritdoc />
    public override string Describe()
    {
        var text = $"{PassName}({ManifestNames.Of(Weights)},{ManifestNames.Of(Granularity)}";
        text += Granularity == QuantGranularity.PerGroup ? $"={GroupSize}" : "";
        text += $",{(Symmetric ? "symmetric" : "asymmetric")}";
        text += Method == QuantMethod.Gptq ? FormattableString.Invariant($",gptq(damp={Dampening},block={BlockSize}{(ActOrder ? ",act-order" : "")})") : "";
        text += Outliers > 0 ? FormattableString.Invariant($",outliers={Outliers}") : "";
        text += Method == QuantMethod.AdaRound ? FormattableString.Invariant($",adaround(steps={Iterations})") : "";
        text += BiasCorrection ? ",bias-correction" : "";
        text += BlockRefit ? ",block-refit" : "";
        text += Exclude.Count > 0 ? $",exclude={string.Join("|", Exclude)}" : "";
        text += Layers.Count > 0 ? $",layers={string.Join("|", Layers)}" : "";
        return text + ")";
    }

    /// <inheritdoc />
    public override Passes.ICompressionPass CreatePass() => new Passes.LinearQuantizePass(this);

    /// <summary>Value equality, comparing <see cref="Exclude"/> by its items.</summary>
    public bool Equals(QuantizeSpec? other) => other is not null && Describe() == other.Describe();

    /// <inheritdoc />
    public override int GetHashCode() => Describe().GetHashCode(StringComparison.Ordinal);
}

/// <summary>k-means weight sharing (<c>{"palettize": {...}}</c>): each weight becomes an index into a small codebook.</summary>
/// <param name="Bits">Codebook entries = 2^Bits (1..8).</param>
/// <param name="RowsPerCodebook">Output channels sharing one codebook; 0 means one codebook per tensor.</param>
/// <param name="Init">Where the centroids start.</param>
public sealed record PalettizeSpec(int Bits, int RowsPerCodebook, PaletteInit Init) : PassSpec
{
    /// <summary>The pass name in the manifest.</summary>
    public const string PassName = "palettize";

    /// <summary>Weight names, node names or op types left in float32.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Only these layers (weight names, node names or op types); empty = all.</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>
    /// Whether codebooks are snapped onto an int8 grid (entry = k·s, one s per codebook; <c>GridPalette</c>), which
    /// the runtime reads as int8 steps at batch 1 (faster than a float table). Null: on for 4 bits, off otherwise
    /// (≤ 3-bit tables are looked up as floats in one vpermps either way; more than 4 bits are decoded at load).
    /// </summary>
    public bool? Int8Grid { get; init; }

    /// <summary><see cref="Int8Grid"/> with its default applied.</summary>
    public bool SnapsToGrid => Int8Grid ?? Bits == 4;

    /// <inheritdoc />
    public override string Name => PassName;

    /// <inheritdoc />
    public override string Describe() =>
        $"{PassName}({Bits}-bit,{(RowsPerCodebook == 0 ? "per-tensor" : $"per-{RowsPerCodebook}-rows")},{ManifestNames.Of(Init)}"
        + (SnapsToGrid != (Bits == 4) ? $",int8Grid={(SnapsToGrid ? "on" : "off")}" : "")
        + (Exclude.Count > 0 ? $",exclude={string.Join("|", Exclude)}" : "")
        + (Layers.Count > 0 ? $",layers={string.Join("|", Layers)}" : "") + ")";

    /// <inheritdoc />
    public override Passes.ICompressionPass CreatePass() => new Passes.Quantization.PalettizePass(this);

    /// <summary>Value equality, comparing <see cref="Exclude"/> by its items.</summary>
    public bool Equals(PalettizeSpec? other) => other is not null && Describe() == other.Describe();

    /// <inheritdoc />
    public override int GetHashCode() => Describe().GetHashCode(StringComparison.Ordinal);
}

/// <summary>The manifest spellings of enum values (one table, used for parsing and describing).</summary>
internal static class ManifestNames
{
    public static readonly IReadOnlyList<(string Name, WeightType Value)> WeightTypes =
    [
        ("int8", WeightType.Int8), ("int6", WeightType.Int6), ("int5", WeightType.Int5), ("int4", WeightType.Int4), ("int3", WeightType.Int3), ("int2", WeightType.Int2),
        ("ternary", WeightType.Ternary), ("fp16", WeightType.Fp16), ("bf16", WeightType.Bf16),
    ];

    public static readonly IReadOnlyList<(string Name, QuantGranularity Value)> Granularities =
        [("per-channel", QuantGranularity.PerChannel), ("per-tensor", QuantGranularity.PerTensor), ("per-group", QuantGranularity.PerGroup)];

    public static readonly IReadOnlyList<(string Name, QuantMethod Value)> Methods = [("rtn", QuantMethod.Rtn), ("gptq", QuantMethod.Gptq), ("adaround", QuantMethod.AdaRound)];

    public static readonly IReadOnlyList<(string Name, PaletteInit Value)> PaletteInits = [("linear", PaletteInit.Linear), ("density", PaletteInit.Density)];

    public static string Of(WeightType value) => WeightTypes.First(p => p.Value == value).Name;

    public static string Of(QuantGranularity value) => Granularities.First(p => p.Value == value).Name;

    public static string Of(QuantMethod value) => Methods.First(p => p.Value == value).Name;

    public static string Of(PaletteInit value) => PaletteInits.First(p => p.Value == value).Name;
}
