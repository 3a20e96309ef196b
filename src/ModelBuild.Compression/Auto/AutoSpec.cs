using System.Globalization;

namespace ModelBuild.Compression.Auto;

/// <summary>One setting auto mode may give a layer: linear symmetric quantisation with a scale per row or per group.</summary>
public sealed record AutoCandidate(int Bits, int GroupSize, bool Gptq = false)
{
    /// <summary>
    /// The manifest spelling: <c>int4</c> (one scale per output channel), <c>int2-g64</c> (one per 64 inputs), with
    /// <c>-gptq</c> for GPTQ's error-compensating rounding instead of round-to-nearest.
    /// </summary>
    public string Name => (GroupSize == 0 ? $"int{Bits}" : $"int{Bits}-g{GroupSize}") + (Gptq ? "-gptq" : "");

    /// <summary>Effective bits per weight including scales, for a row of <paramref name="cols"/> inputs.</summary>
    public double BitsPerWeight(int cols) => Bits + (32.0 / (GroupSize == 0 ? cols : Math.Min(GroupSize, cols)));

    public static AutoCandidate? Parse(string name)
    {
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

        return parts.Length <= 2 ? new AutoCandidate(bits, group, gptq) : null;
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

    /// <summary>Tried per layer by default, widest first.</summary>
    public static readonly IReadOnlyList<AutoCandidate> DefaultCandidates =
        [new(8, 0), new(6, 0), new(5, 0), new(4, 0), new(3, 64), new(3, 0), new(3, 0, true), new(2, 32), new(2, 64), new(2, 64, true), new(2, 0), new(2, 0, true)];
}
