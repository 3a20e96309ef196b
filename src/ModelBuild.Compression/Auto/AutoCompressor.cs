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
/// The search accepts only <see cref="Margin"/> of the allowance on the calibration data because the final gate
/// measures on other (validation) data; built results are held to the whole tolerance on the gate's own data.
/// </remarks>
public static class AutoCompressor
{
    private const double SafetyFactor = 0.6;
    private const double Margin = 0.8;
    private const int MaxBackOffs = 6;

    /// <summary>With a gate: how far past the allowance a whole-model setting's calibration loss may be for it still to be built and measured on the gate's data.</summary>
    private const double UniformReach = 3;

    /// <summary>Searches, then leaves the chosen model in <paramref name="context"/> (weights and stored formats).</summary>
    /// <param name="context">The model after the manifest's passes; needs calibration data.</param>
    /// <param name="spec">Candidates, and <c>maxBytes</c> (the most accurate model within it) or none (the smallest within the tolerance).</param>
    /// <param name="tolerance">The manifest's tolerance, measured on the calibration data during the search.</param>
    /// <param name="embeddedBytes">The size of the blob the context's current state would embed (whole blob: weights, biases, headers; entropy-coded when the entropy pass ran).</param>
    /// <param name="gateData">The accuracy gate's validation data, or null: with it each built result is measured there too, and a result that would miss the gate is backed off before it ships.</param>
    /// <exception cref="ModelBuildException">MB2003 (labels missing for an accuracy tolerance); MB5001 when <c>maxBytes</c> cannot be reached.</exception>
    public static AutoResult Run(CompressionContext context, AutoSpec spec, ToleranceSpec tolerance, Func<long> embeddedBytes, CalibrationSet? gateData = null)
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

        var search = new AutoSearch(context, spec, tolerance, embeddedBytes, gateData);
        search.Progress($"{search.Layers.Count} layers, {search.Settings.Length} candidates, {data.Count} calibration samples"
            + (gateData is null ? "" : $", {gateData.Count} validation samples") + $", time budget {spec.MaxSeconds:0} s");
        if (spec.MaxBytes is { } limit && search.Verify(Uniform(search, search.Settings.Length - 1), $"uniform {search.Settings[^1].Name}").Bytes is var smallest && smallest > limit)
        {
            Unreachable(search, limit, smallest); // before the sensitivities: no search can help
        }

        search.SetAll(Uniform(search, -1));

        var (loss, bytes) = Sensitivities(search);
        var chains = new LayerChains(loss, bytes);
        var uniform = MeasureUniform(search);
        var (pick, chosen, uniformBytes) = spec.MaxBytes is { } maxBytes
            ? WithinBudget(search, chains, maxBytes)
            : WithinTolerance(search, chains, uniform);

        var index = search.Tried.FindLastIndex(p => p.Label == chosen.Label);
        search.Tried[index] = search.Tried[index] with { Chosen = true };
        var timedOut = search.CutShort ? $"; the time budget ({spec.MaxSeconds:0} s) cut the search short, so the result depends on this machine's speed: commit the pinned manifest to keep it" : "";
        context.Notes.Add(FormattableString.Invariant($"auto: {(pick.Choice is { } c ? search.Describe(c) : pick.Label)} = {chosen.Bytes:N0} embedded bytes, calibration loss {chosen.Loss:G3} of {search.Allowance:G3} allowed; best uniform setting within the tolerance: ")
            + (uniformBytes is { } u ? FormattableString.Invariant($"{u.Name} = {u.Bytes:N0} embedded bytes") : "none")
            + FormattableString.Invariant($"; {search.Scorer.Evaluations} evaluations on {data.Count} calibration samples in {search.ElapsedSeconds:0.0} s ({search.CpuSeconds:0.0} s of processor time)") + timedOut);
        // A whole-model recipe (global pruning) has no per-layer setting and no per-layer sensitivity to show.
        var choice = pick.Choice;
        return new AutoResult(choice is null ? [] : search.Named(choice), chosen.Bytes, uniformBytes?.Bytes, search.Tried)
        {
            Sensitivity = choice is null ? new Dictionary<string, double>()
                : search.Layers.Select((l, i) => (l.Name, loss[i][choice[i]])).Where(p => double.IsFinite(p.Item2))
                    .ToDictionary(p => p.Name, p => p.Item2, StringComparer.Ordinal),
            Passes = pick.Passes,
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

    /// <summary>The whole model at each candidate in the fast model (every layer as cached by the sensitivities): the loss and estimated bytes of each.</summary>
    private static List<(int Setting, long Bytes, double Loss)> MeasureUniform(AutoSearch search)
    {
        var points = new List<(int, long, double)>();
        for (var c = 0; c < search.Settings.Length; c++)
        {
            var choice = Uniform(search, c);
            search.SetAll(choice);
            var loss = search.Loss();
            var bytes = search.EstimatedEmbedded(choice);
            points.Add((c, bytes, loss));
            search.Tried.Add(new AutoPoint(bytes, loss, $"uniform {search.Settings[c].Name}", Chosen: false));
            search.Progress(FormattableString.Invariant($"uniform {search.Settings[c].Name}: {bytes:N0} embedded bytes, calibration loss {loss:G3}"));
        }

        search.SetAll(Uniform(search, -1));
        return points;
    }

    /// <summary>
    /// Each layer alone at each candidate: calibration loss (fast model) and the layer's own blob bytes (entropy-aware).
    /// Past half the time budget the remaining layers are not measured and keep the widest setting (their narrower
    /// losses are infinite).
    /// </summary>
    private static (double[][] Loss, long[][] Bytes) Sensitivities(AutoSearch search)
    {
        var (layers, settings) = (search.Layers, search.Settings);
        var loss = new double[layers.Count][];
        var bytes = new long[layers.Count][];
        for (var l = 0; l < layers.Count; l++)
        {
            loss[l] = new double[settings.Length];
            bytes[l] = new long[settings.Length];
            var skip = search.PastTime(0.5);
            search.CutShort |= skip;
            search.Progress(skip ? $"sensitivity of {layers[l].Name}: skipped (half the time budget spent), kept at {settings[0].Name}" : $"sensitivity of {layers[l].Name}");
            var worth = skip ? [] : Worth(search, l);
            for (var c = 0; c < settings.Length; c++)
            {
                if (!worth.Contains(c))
                {
                    (loss[l][c], bytes[l][c]) = c == 0 && skip ? (0, search.LayerBytes(l, 0)) : (double.PositiveInfinity, long.MaxValue / 4);
                    continue;
                }

                search.Set(l, c);
                loss[l][c] = Math.Max(0, search.Loss());
                bytes[l][c] = search.LayerBytes(l, c);
            }

            search.Set(l, -1);
        }

        return (loss, bytes);
    }

    /// <summary>
    /// The candidates whose loss is worth measuring on a layer: among the quantisers (linear and low-rank codes),
    /// only those on the Pareto front of bytes against <see cref="AutoSearch.Proxy"/> (a setting both larger and
    /// worse by the proxy is skipped: a calibration run saved); pruned and palettised candidates always, since
    /// reconstruction makes their weight error a poor guide to their output error.
    /// </summary>
    private static HashSet<int> Worth(AutoSearch search, int layer)
    {
        var tried = Enumerable.Range(0, search.Settings.Length).Where(c => search.Tries(layer, c)).ToList();
        var quantisers = tried.Where(c => !search.Settings[c].NeedsPasses).ToList();
        var proxies = quantisers.Select(c => search.Proxy(layer, c)).ToList();
        if (proxies.Any(p => p is null))
        {
            return [.. tried];
        }

        var front = LayerChains.Front(proxies.Select(p => p!.Value).ToArray(), quantisers.Select(c => search.LayerBytes(layer, c)).ToArray());
        var worth = tried.Where(c => search.Settings[c].NeedsPasses).Concat(front.Select(i => quantisers[i])).ToHashSet();
        search.Progress($"sensitivity of {search.Layers[layer].Name}: {worth.Count} of {tried.Count} candidates worth measuring (the others are larger and worse by the Hessian-diagonal proxy)");
        return worth;
    }

    private static (Verified Pick, AutoPoint Chosen, (string Name, long Bytes)? Uniform) WithinTolerance(AutoSearch search, LayerChains chains, List<(int Setting, long Bytes, double Loss)> uniformPoints)
    {
        var limit = search.Allowance * Margin;
        // The gate's data is held to the tolerance itself (what the build's gate checks; 1e-12 as AccuracyGate allows),
        // not to the margin: the margin on the calibration data already keeps the search off the edge, and a second
        // one would reject results the manifest accepts (low rank 32 + int4 GPTQ on the MLP loses exactly 0.50 pp there).
        var gateLimit = search.Gate is { } gate ? gate.Allowance - search.GateBaseLoss + 1e-12 : double.PositiveInfinity;
        var steps = new int[search.Layers.Count];
        var budget = search.Allowance * SafetyFactor;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            steps = AutoAllocation.Allocate(chains.Loss, chains.Bytes, budget);
            var choice = chains.Settings(steps);
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

        steps = Refine(search, chains, steps, limit);

        // With a gate, a built result is judged on the gate's data (held-out, as the user chose it), and the
        // calibration losses only steer the search: on the MNIST MLP the calibration (training) images overstate
        // low rank's loss twofold (rank 32 + int4 GPTQ: -1.0 pp on train-2k, -0.50 pp on the gate half, -0.36 pp on the
        // rest of t10k), so a calibration bound would reject the best recipe. Without a gate the calibration bound decides.
        bool Passes(Verified v) => v.GateLoss is { } g ? g <= gateLimit : v.Loss <= limit;

        // The smallest uniform setting within the bounds once built (smallest first; a few are built, since a built
        // model can miss where the fast model did not): the result must not be larger. With a gate, whole-model
        // settings up to UniformReach × the allowance on the calibration data are worth building.
        var built = new List<Verified>();
        (string, long)? uniform = null;
        var (uniformLimit, uniformBuilds) = search.Gate is null ? (limit, 3) : (search.Allowance * UniformReach, 5);
        foreach (var point in uniformPoints.Where(p => p.Loss <= uniformLimit).OrderBy(p => p.Bytes).ThenBy(p => p.Loss).Take(uniformBuilds))
        {
            var result = search.Verify(Uniform(search, point.Setting), $"uniform {search.Settings[point.Setting].Name}");
            built.Add(result);
            if (Passes(result))
            {
                uniform = (search.Settings[point.Setting].Name, result.Bytes);
                break;
            }
        }

        // Global pruning with palettes (the experts' recipe on convolutional nets; not a per-layer setting), when the
        // candidates include pruned palettes: bisected on the sparsity, built and judged like the uniform settings.
        built.AddRange(GlobalPruneRecipes.Search(search, Passes));

        // The per-layer choice, backed off while the real combination misses: each time the layer whose own measured
        // loss is the largest at its step goes one step wider (the riskiest layer first), then it is built again.
        // It stops once it is no smaller than a whole-model result within the bounds.
        for (var attempt = 0; attempt < MaxBackOffs; attempt++)
        {
            var choice = chains.Settings(steps);
            var result = built.FirstOrDefault(v => v.Choice is { } c && c.SequenceEqual(choice)) ?? search.Verify(choice, attempt == 0 ? "per-layer" : $"per-layer, backed off {attempt}");
            built.Add(result);
            if (Passes(result) || built.Where(Passes).Any(v => result.Bytes >= v.Bytes))
            {
                break;
            }

            var riskiest = Enumerable.Range(0, steps.Length).Where(l => steps[l] > 0).OrderByDescending(l => chains.Loss[l][steps[l]]).ThenByDescending(l => l).FirstOrDefault(-1);
            if (riskiest < 0)
            {
                break;
            }

            steps[riskiest]--;
            search.Progress($"per-layer choice missed; backing off {search.Layers[riskiest].Name} to {search.Settings[chains.Setting(riskiest, steps[riskiest])].Name}");
        }

        var within = built.Where(Passes).ToList();
        var pick = within.Count > 0 ? within.MinBy(f => f.Bytes)! : built.MinBy(f => f.GateLoss ?? f.Loss)!;
        if (!ReferenceEquals(pick, built[^1]))
        {
            search.Verify(pick.Passes, pick.Label, pick.Choice); // leave the pick's model in the context
        }

        return (pick, search.Tried.Last(p => p.Label == pick.Label + " (built)"), uniform);
    }

    /// <summary>
    /// Sensitivities measured one layer at a time overestimate (losses are clamped at 0), so the additive allocation
    /// leaves slack: keep taking the next-cheapest step along each layer's chain while the real combination stays
    /// within bounds. Stops when 85 % of the time budget is spent.
    /// </summary>
    private static int[] Refine(AutoSearch search, LayerChains chains, int[] steps, double limit)
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
            var moves = Enumerable.Range(0, search.Layers.Count).Where(l => steps[l] + 1 < chains.Loss[l].Length && double.IsFinite(chains.Loss[l][steps[l] + 1]))
                .OrderByDescending(l => (chains.Bytes[l][steps[l]] - chains.Bytes[l][steps[l] + 1]) / Math.Max(1e-9, chains.Loss[l][steps[l] + 1] - chains.Loss[l][steps[l]]))
                .ToList();
            search.SetAll(chains.Settings(steps));
            foreach (var l in moves)
            {
                search.Set(l, chains.Setting(l, steps[l] + 1));
                var combined = search.Loss();
                if (combined <= limit)
                {
                    steps[l]++;
                    var choice = chains.Settings(steps);
                    var total = search.EstimatedEmbedded(choice);
                    search.Tried.Add(new AutoPoint(total, combined, search.Describe(choice), Chosen: false));
                    search.Progress(FormattableString.Invariant($"{search.Layers[l].Name} -> {search.Settings[choice[l]].Name}: {total:N0} embedded bytes, calibration loss {combined:G3}"));
                    improved = true;
                    break;
                }

                search.Set(l, chains.Setting(l, steps[l]));
                if (search.PastTime(0.85))
                {
                    improved = true; // so the loop's check stops and reports it
                    break;
                }
            }
        }

        return steps;
    }

    /// <summary>
    /// Budget mode: narrow layers by least loss per byte saved until the built model's whole blob fits; the byte
    /// estimates leave out biases, headers and entropy coding, so the target is lowered by what the blob overshot.
    /// </summary>
    private static (Verified Pick, AutoPoint Chosen, (string Name, long Bytes)? Uniform) WithinBudget(AutoSearch search, LayerChains chains, long maxBytes)
    {
        var target = maxBytes;
        var narrowest = chains.Settings(chains.Loss.Select(c => c.Length - 1).ToArray());
        for (var attempt = 1; ; attempt++)
        {
            var choice = chains.Settings(AutoAllocation.Shrink(chains.Loss, chains.Bytes, target));
            var built = search.Verify(choice, $"budget step {attempt}");
            if (built.Bytes <= maxBytes)
            {
                return (built, search.Tried[^1], null);
            }

            if (choice.SequenceEqual(narrowest) || attempt >= 12)
            {
                var smallest = choice.SequenceEqual(narrowest) ? built : search.Verify(narrowest, "narrowest per layer");
                if (smallest.Bytes > maxBytes)
                {
                    Unreachable(search, maxBytes, smallest.Bytes);
                }

                return (smallest, search.Tried[^1], null);
            }

            target -= Math.Max(built.Bytes - maxBytes, 1);
        }
    }

    private static void Unreachable(AutoSearch search, long maxBytes, long smallest) =>
        throw new ModelBuildException("MB5001", search.ManifestPath, FormattableString.Invariant(
            $"auto cannot reach 'budget': {{ \"maxBytes\": {maxBytes} }}: the smallest model it can make from these candidates (every layer at its narrowest) embeds {smallest:N0} bytes (weights, biases and headers: the whole blob), {smallest - maxBytes:N0} over. Raise maxBytes, add narrower 'candidates', or add passes that remove weights (prune, lowrank) before the search."));

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
