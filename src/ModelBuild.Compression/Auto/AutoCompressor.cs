using System.Globalization;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// Accuracy-aware mixed precision: measure each layer's sensitivity alone at each candidate setting on the
/// calibration data, then give every layer the cheapest setting the tolerance can afford (a greedy knapsack on bytes
/// saved per unit of loss), refine on the real combination, and ship the smaller of that and the best uniform
/// setting, each built by the quantize passes the pinned manifest carries and measured in embedded bytes.
/// </summary>
/// <remarks>
/// Losses are assumed to add up across layers; the checks on the real combination catch where they do not.
/// The search accepts only <see cref="Margin"/> of the allowance because the final gate measures on other
/// (validation) data.
/// </remarks>
public static class AutoCompressor
{
    private const double SafetyFactor = 0.6;
    private const double Margin = 0.8;

    /// <summary>Searches, then leaves the chosen model in <paramref name="context"/> (weights and stored formats).</summary>
    /// <param name="context">The model after the manifest's passes; needs calibration data.</param>
    /// <param name="spec">Candidates, and <c>maxBytes</c> (the most accurate model within it) or none (the smallest within the tolerance).</param>
    /// <param name="tolerance">The manifest's tolerance, measured on the calibration data during the search.</param>
    /// <param name="embeddedBytes">The size of the blob the context's current state would embed (whole blob: weights, biases, headers; entropy-coded when the entropy pass ran).</param>
    /// <exception cref="ModelBuildException">MB2003 (labels missing for an accuracy tolerance); MB5001 when <c>maxBytes</c> cannot be reached.</exception>
    public static AutoResult Run(CompressionContext context, AutoSpec spec, ToleranceSpec tolerance, Func<long> embeddedBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tolerance);
        ArgumentNullException.ThrowIfNull(embeddedBytes);
        var data = context.RequireCalibration("auto");
        if (tolerance.Key == "maxAccuracyDrop" && data.Labels is null)
        {
            throw new ModelBuildException("MB2003", context.ManifestPath, "auto mode with 'maxAccuracyDrop' needs \"labels\" in 'calibration' (or use 'minAgreement').");
        }

        var search = new AutoSearch(context, spec, tolerance, embeddedBytes);
        search.Progress($"{search.Layers.Count} layers, {search.Settings.Length} candidates, {data.Count} calibration samples, time budget {spec.MaxSeconds:0} s");
        var uniform = MeasureUniform(search);
        if (spec.MaxBytes is { } limit && search.Tried[search.Settings.Length - 1].Bytes > limit
            && search.Verify(Uniform(search, search.Settings.Length - 1), $"uniform {search.Settings[^1].Name}").Bytes is var smallest && smallest > limit)
        {
            Unreachable(search, limit, smallest); // before the sensitivities: no search can help
        }

        var (loss, bytes) = Sensitivities(search);
        var (choice, chosen, uniformBytes) = spec.MaxBytes is { } maxBytes
            ? WithinBudget(search, loss, bytes, maxBytes)
            : WithinTolerance(search, loss, bytes, uniform);

        var index = search.Tried.FindLastIndex(p => p.Label == chosen.Label);
        search.Tried[index] = search.Tried[index] with { Chosen = true };
        var timedOut = search.CutShort ? $"; the time budget ({spec.MaxSeconds:0} s) cut the search short, so the result depends on this machine's speed: commit the pinned manifest to keep it" : "";
        context.Notes.Add(FormattableString.Invariant($"auto: {search.Describe(choice)} = {chosen.Bytes:N0} embedded bytes, calibration loss {chosen.Loss:G3} of {search.Allowance:G3} allowed; best uniform setting within the tolerance: ")
            + (uniformBytes is { } u ? FormattableString.Invariant($"{u.Name} = {u.Bytes:N0} embedded bytes") : "none")
            + FormattableString.Invariant($"; {search.Scorer.Evaluations} evaluations on {data.Count} calibration samples in {search.ElapsedSeconds:0.0} s") + timedOut);
        return new AutoResult(search.Named(choice), chosen.Bytes, uniformBytes?.Bytes, search.Tried)
        {
            Sensitivity = search.Layers.Select((l, i) => (l.Name, loss[i][choice[i]])).Where(p => double.IsFinite(p.Item2))
                .ToDictionary(p => p.Name, p => p.Item2, StringComparer.Ordinal),
            Passes = search.PassesFor(choice),
        };
    }

    /// <summary>The manifest that reproduces the result without searching again (written next to the outputs).</summary>
    /// <param name="result">Auto's result.</param>
    /// <param name="manifestPath">The auto manifest: its passes, data sections and tolerance are carried over.</param>
    public static string PinnedManifest(AutoResult result, string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Auto.PinnedManifest.Write(manifestPath, result.Passes);
    }

    /// <summary>The whole model at each candidate (fast model); returns the loss of each.</summary>
    private static double[] MeasureUniform(AutoSearch search)
    {
        var losses = new double[search.Settings.Length];
        for (var c = 0; c < search.Settings.Length; c++)
        {
            var choice = Uniform(search, c);
            search.SetAll(choice);
            losses[c] = search.Loss();
            var bytes = search.EstimatedEmbedded(choice);
            search.Tried.Add(new AutoPoint(bytes, losses[c], $"uniform {search.Settings[c].Name}", Chosen: false));
            search.Progress(FormattableString.Invariant($"uniform {search.Settings[c].Name}: {bytes:N0} embedded bytes, calibration loss {losses[c]:G3}"));
        }

        search.SetAll(Uniform(search, -1));
        return losses;
    }

    /// <summary>
    /// Each layer alone at each candidate. Past half the time budget the remaining layers are not measured and keep
    /// the widest setting (their narrower losses are infinite).
    /// </summary>
    private static (double[][] Loss, long[][] Bytes) Sensitivities(AutoSearch search)
    {
        var (layers, settings) = (search.Layers, search.Settings);
        var loss = new double[layers.Count][];
        var bytes = new long[layers.Count][];
        for (var l = 0; l < layers.Count; l++)
        {
            loss[l] = new double[settings.Length];
            bytes[l] = settings.Select(s => CandidateQuantizer.Bytes(layers[l].Rows, layers[l].Cols, s)).ToArray();
            var skip = search.PastTime(0.5);
            search.CutShort |= skip;
            search.Progress(skip ? $"sensitivity of {layers[l].Name}: skipped (half the time budget spent), kept at {settings[0].Name}" : $"sensitivity of {layers[l].Name}");
            for (var c = 0; c < settings.Length; c++)
            {
                if (skip)
                {
                    loss[l][c] = c == 0 ? 0 : double.PositiveInfinity;
                    continue;
                }

                search.Set(l, c);
                loss[l][c] = Math.Max(0, search.Loss());
                if (c > 0)
                {
                    loss[l][c] = Math.Max(loss[l][c], loss[l][c - 1]); // fewer bits never help
                }
            }

            search.Set(l, -1);
        }

        return (loss, bytes);
    }

    private static (int[] Choice, AutoPoint Chosen, (string Name, long Bytes)? Uniform) WithinTolerance(AutoSearch search, double[][] loss, long[][] bytes, double[] uniformLoss)
    {
        var limit = search.Allowance * Margin;
        var choice = new int[search.Layers.Count];
        var budget = search.Allowance * SafetyFactor;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            choice = AutoAllocation.Allocate(loss, bytes, budget);
            search.SetAll(choice);
            var combined = search.Loss();
            var total = search.EstimatedEmbedded(choice);
            search.Tried.Add(new AutoPoint(total, combined, search.Describe(choice), Chosen: false));
            search.Progress(FormattableString.Invariant($"allocation {attempt + 1}: {total:N0} embedded bytes, calibration loss {combined:G3} of {search.Allowance:G3} allowed"));
            if (combined <= limit)
            {
                break;
            }

            budget *= 0.5;
        }

        choice = Refine(search, loss, bytes, choice, limit);

        // The smallest uniform setting within the limit once built (the fast model's candidates, smallest first; a
        // few are built, since a built model can miss where the fast model did not): the result must not be larger.
        var uniformPoints = search.Tried.Take(search.Settings.Length).ToList(); // MeasureUniform's, one per setting
        var built = new List<(int[] Choice, string Label, (long Bytes, double Loss) Result)>();
        (string, long)? uniform = null;
        foreach (var c in Enumerable.Range(0, search.Settings.Length).Where(c => uniformLoss[c] <= limit).OrderBy(c => uniformPoints[c].Bytes).ThenBy(c => uniformLoss[c]).Take(3))
        {
            var label = $"uniform {search.Settings[c].Name}";
            var result = search.Verify(Uniform(search, c), label);
            built.Add((Uniform(search, c), label, result));
            if (result.Loss <= limit)
            {
                uniform = (search.Settings[c].Name, result.Bytes);
                break;
            }
        }

        if (!built.Any(f => f.Choice.SequenceEqual(choice)))
        {
            built.Add((choice, "per-layer", search.Verify(choice, "per-layer")));
        }

        var within = built.Where(f => f.Result.Loss <= limit).ToList();
        var pick = within.Count > 0 ? within.MinBy(f => f.Result.Bytes) : built.MinBy(f => f.Result.Loss);
        if (!ReferenceEquals(pick.Choice, built[^1].Choice))
        {
            search.Verify(pick.Choice, pick.Label); // leave the pick's model in the context
        }

        return (pick.Choice, search.Tried.Last(p => p.Label == pick.Label + " (built)"), uniform);
    }

    /// <summary>
    /// Sensitivities measured one layer at a time overestimate (they are clamped and made monotone), so the additive
    /// allocation leaves slack: keep taking the next-cheapest step while the real combination stays within bounds.
    /// Stops when 85 % of the time budget is spent.
    /// </summary>
    private static int[] Refine(AutoSearch search, double[][] loss, long[][] bytes, int[] choice, double limit)
    {
        var improved = true;
        while (improved)
        {
            if (search.PastTime(0.85))
            {
                search.CutShort = true;
                search.Progress("refinement stopped: 85 % of the time budget spent");
                break;
            }

            improved = false;
            var moves = Enumerable.Range(0, search.Layers.Count).Where(l => choice[l] + 1 < search.Settings.Length && double.IsFinite(loss[l][choice[l] + 1]))
                .OrderByDescending(l => (bytes[l][choice[l]] - bytes[l][choice[l] + 1]) / Math.Max(1e-9, loss[l][choice[l] + 1] - loss[l][choice[l]]))
                .ToList();
            search.SetAll(choice);
            foreach (var l in moves)
            {
                search.Set(l, choice[l] + 1);
                var combined = search.Loss();
                if (combined <= limit)
                {
                    choice[l]++;
                    var total = search.EstimatedEmbedded(choice);
                    search.Tried.Add(new AutoPoint(total, combined, search.Describe(choice), Chosen: false));
                    search.Progress(FormattableString.Invariant($"{search.Layers[l].Name} -> {search.Settings[choice[l]].Name}: {total:N0} embedded bytes, calibration loss {combined:G3}"));
                    improved = true;
                    break;
                }

                search.Set(l, choice[l]);
                if (search.PastTime(0.85))
                {
                    improved = true; // so the loop's check stops and reports it
                    break;
                }
            }
        }

        return choice;
    }

    /// <summary>
    /// Budget mode: narrow layers by least loss per byte saved until the built model's whole blob fits; the byte
    /// estimates leave out biases, headers and entropy coding, so the target is lowered by what the blob overshot.
    /// </summary>
    private static (int[] Choice, AutoPoint Chosen, (string Name, long Bytes)? Uniform) WithinBudget(AutoSearch search, double[][] loss, long[][] bytes, long maxBytes)
    {
        var target = maxBytes;
        var narrowest = Uniform(search, search.Settings.Length - 1);
        for (var attempt = 1; ; attempt++)
        {
            var choice = AutoAllocation.Shrink(loss, bytes, target);
            var (built, _) = search.Verify(choice, $"budget step {attempt}");
            if (built <= maxBytes)
            {
                return (choice, search.Tried[^1], null);
            }

            if (choice.SequenceEqual(narrowest) || attempt >= 12)
            {
                var smallest = choice.SequenceEqual(narrowest) ? built : search.Verify(narrowest, $"uniform {search.Settings[^1].Name}").Bytes;
                if (smallest > maxBytes)
                {
                    Unreachable(search, maxBytes, smallest);
                }

                return (narrowest, search.Tried[^1], null);
            }

            target -= Math.Max(built - maxBytes, 1);
        }
    }

    private static void Unreachable(AutoSearch search, long maxBytes, long smallest) =>
        throw new ModelBuildException("MB5001", search.ManifestPath, FormattableString.Invariant(
            $"auto cannot reach 'budget': {{ \"maxBytes\": {maxBytes} }}: the smallest model it can make from these candidates (every layer at {search.Settings[^1].Name}) embeds {smallest:N0} bytes (weights, biases and headers: the whole blob), {smallest - maxBytes:N0} over. Raise maxBytes, add narrower 'candidates', or add passes that remove weights (prune, lowrank) before the search."));

    private static int[] Uniform(AutoSearch search, int setting) => Enumerable.Repeat(setting, search.Layers.Count).ToArray();
}

/// <summary>A size/loss point auto mode measured (for the report's Pareto front).</summary>
/// <param name="Bytes">Embedded bytes of the whole blob for that configuration.</param>
/// <param name="Loss">Calibration loss over the unquantised model, in the tolerance's units.</param>
/// <param name="Label">The configuration; "(built)" marks one built by the quantize passes rather than estimated.</param>
/// <param name="Chosen">True for the shipped configuration.</param>
public sealed record AutoPoint(long Bytes, double Loss, string Label, bool Chosen);

/// <summary>Auto mode's decision: the setting per layer, its embedded bytes, the best uniform alternative's, and every point measured.</summary>
public sealed record AutoResult(IReadOnlyList<(string Name, AutoCandidate Setting)> Layers, long Bytes, long? UniformBytes, IReadOnlyList<AutoPoint> Tried)
{
    /// <summary>Each layer's measured loss alone at its chosen setting (calibration data, tolerance units).</summary>
    public IReadOnlyDictionary<string, double> Sensitivity { get; init; } = new Dictionary<string, double>();

    /// <summary>The quantize passes (JSON) that built the result; the pinned manifest appends them to the manifest's passes.</summary>
    public IReadOnlyList<string> Passes { get; init; } = [];
}
