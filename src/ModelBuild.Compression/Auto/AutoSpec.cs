using System.Globalization;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// One setting auto mode may give a layer: optional unstructured pruning (<see cref="Sparsity"/>, magnitude within
/// the layer, then ridge reconstruction of the kept weights and bias), then either linear symmetric quantisation with
/// a scale per row or per group (RTN or GPTQ) or, with <see cref="Palette"/>, a k-means palette of 2^<see cref="Bits"/> values.
/// </summary>
public sealed record AutoCandidate(int Bits, int GroupSize, bool Gptq = false)
{
    /// <summary>Fraction of the layer's weights pruned to exact zeros before quantising (0 = none; 0.5–0.99).</summary>
    public double Sparsity { get; init; }

    /// <summary>
    /// Low-rank factorisation first (0 = none): the layer becomes two thinner layers of this rank (truncated SVD,
    /// then reconstruction of the second factor and bias on calibration data), and the quantiser codes both factors.
    /// </summary>
    public int Rank { get; init; }

    /// <summary>True for a k-means palette (<c>palettize</c>, per tensor) instead of linear quantisation.</summary>
    public bool Palette { get; init; }

    /// <summary>
    /// The manifest spelling: <c>int4</c> (one scale per output channel), <c>int2-g64</c> (one per 64 inputs), with
    /// <c>-gptq</c> for GPTQ's error-compensating rounding instead of round-to-nearest; <c>pal3</c> (8-entry
    /// palette); a <c>p90-</c> prefix prunes 90 % of the layer first (e.g. <c>p90-pal4</c>, <c>p80-int4-gptq</c>).
    /// </summary>
    public string Name => (Rank > 0 ? FormattableString.Invariant($"r{Rank}-") : "") + (Sparsity > 0 ? FormattableString.Invariant($"p{Math.Round(Sparsity * 100):0}-") : "")
        + (Palette ? $"pal{Bits}" : (GroupSize == 0 ? $"int{Bits}" : $"int{Bits}-g{GroupSize}") + (Gptq ? "-gptq" : ""));

    /// <summary>True when the search builds it by running the prune or palettize passes on the layer (calibration runs, k-means).</summary>
    public bool NeedsPasses => Sparsity > 0 || Palette;

    /// <summary>True for settings that change more than the codes (pruning, palettes, low rank): tried only on layers large enough to matter.</summary>
    public bool Structural => NeedsPasses || Rank > 0;

    /// <summary>
    /// Rough bits per weight (scales and, for pruned layers, the sparsity mask included), for a row of
    /// <paramref name="cols"/> inputs: only orders the candidates from the widest; sizes are measured.
    /// </summary>
    public double BitsPerWeight(int cols)
    {
        var dense = Palette ? Bits : Bits + (32.0 / (GroupSize == 0 ? cols : Math.Min(GroupSize, cols)));
        dense = Rank > 0 ? dense * Math.Min(1, Rank / 128.0) : dense; // a guess for ordering; sizes are measured
        return Sparsity > 0 ? ((1 - Sparsity) * dense) + 1 : dense;
    }

    public static AutoCandidate? Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var rank = 0;
        if (name.StartsWith('r'))
        {
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash < 2 || !int.TryParse(name[1..dash], NumberStyles.None, CultureInfo.InvariantCulture, out rank) || rank is < 1 or > 65536
                || Parse(name[(dash + 1)..]) is not { Rank: 0, Sparsity: 0, Palette: false } linear)
            {
                return null;
            }

            return linear with { Rank = rank };
        }

        var sparsity = 0.0;
        if (name.StartsWith('p') && !name.StartsWith("pal", StringComparison.Ordinal))
        {
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash < 2 || !int.TryParse(name[1..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent is < 10 or > 99)
            {
                return null;
            }

            sparsity = percent / 100.0;
            name = name[(dash + 1)..];
        }

        if (name.StartsWith("pal", StringComparison.Ordinal))
        {
            return int.TryParse(name[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var paletteBits) && paletteBits is >= 1 and <= 8
                ? new AutoCandidate(paletteBits, 0) { Palette = true, Sparsity = sparsity }
                : null;
        }

        var gptq = name.EndsWith("-gptq", StringComparison.Ordinal);
        if (gptq)
        {
            name = name[..^5];
        }

        var parts = name.Split("-g");
        if (!parts[0].StartsWith("int", StringComparison.Ordinal) || !int.TryParse(parts[0][3..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits)
            || bits is < 2 or > 8)
        {
            return null;
        }

        var group = 0;
        if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out group) || group is < 8 or > 4096))
        {
            return null;
        }

        return parts.Length <= 2 ? new AutoCandidate(bits, group, gptq) { Sparsity = sparsity } : null;
    }
}

/// <summary>
/// The manifest's <c>"mode": "auto"</c>: choose a setting per layer from <see cref="Candidates"/> so that the model
/// is as small as possible while meeting the tolerance (<see cref="MaxBytes"/> null), or as accurate as possible
/// within <see cref="MaxBytes"/>.
/// </summary>
public sealed record AutoSpec(IReadOnlyList<AutoCandidate> Candidates, long? MaxBytes)
{
    /// <summary>The search's time budget when the manifest gives none (<c>"budget": { "maxSeconds": … }</c>).</summary>
    public const double DefaultMaxSeconds = 300;

    /// <summary>
    /// Wall-clock seconds the search may take: past half of it no more sensitivities are measured (unmeasured layers
    /// keep the widest setting), past 85 % refinement stops; the whole-model candidates and the final builds always run. A search cut short
    /// depends on the machine's speed, so the report says so and the pinned manifest is the way to reproduce it.
    /// </summary>
    public double MaxSeconds { get; init; } = DefaultMaxSeconds;

    /// <summary>
    /// Tried per layer by default: linear quantisation from int8 to int2 (RTN and GPTQ, per row and per group),
    /// palettes of 16, 8 and 4 values, pruning (80–97 %, with reconstruction) combined with palettes or GPTQ, and
    /// low rank (16–64, with reconstruction) combined with GPTQ: the combinations that won the manual recipes on the
    /// MNIST models.
    /// </summary>
    public static readonly IReadOnlyList<AutoCandidate> DefaultCandidates =
        new[] { "int8", "int6", "int5", "int4", "int4-gptq", "int3-g64", "int3", "int3-gptq", "int2-g32", "int2-g64", "int2-g64-gptq", "int2", "int2-gptq",
            "pal4", "pal3", "pal2", "p80-int4-gptq", "p80-pal4", "p90-pal4", "p90-pal3", "p93-pal4", "p93-pal3", "p95-pal4", "p95-pal3", "p97-pal3",
            "r64-int4-gptq", "r48-int4-gptq", "r32-int4-gptq", "r32-int3-gptq", "r16-int4-gptq" }
        .Select(n => AutoCandidate.Parse(n)!).ToArray();
}
