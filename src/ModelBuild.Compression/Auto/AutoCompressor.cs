using System.Globalization;
using System.Text;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// Accuracy-aware mixed precision: measure each layer's sensitivity alone at each candidate bit width on the
/// calibration data, then give every layer the fewest bits the tolerance can afford (a greedy knapsack on
/// bytes saved per unit of loss), verify the combination, and tighten the budget if it misses.
/// </summary>
/// <remarks>
/// Losses are assumed to add up across layers; the check on the real combination catches where they do not.
/// The budget starts below the allowance because the final gate measures on other (validation) data.
/// </remarks>
public static class AutoCompressor
{
    private const double SafetyFactor = 0.6;

    // One search at a time per thread; set by Run, so Apply/BestUniform/Refine share its cache of quantised candidates.
    [ThreadStatic]
    private static Func<LayerWeight, float[], AutoCandidate, StoredMatrix>? s_quantize;

    public static AutoResult Run(CompressionContext context, AutoSpec spec, ToleranceSpec tolerance)
    {
        var data = context.RequireCalibration("auto");
        if (tolerance.Key == "maxAccuracyDrop" && data.Labels is null)
        {
            throw new ModelBuildException("MB2003", context.ManifestPath, "auto mode with 'maxAccuracyDrop' needs \"labels\" in 'calibration' (or use 'minAgreement').");
        }

        var scorer = new CalibrationScorer(context.ModelPath, data, tolerance, context.Services!.Scoring);
        var layers = context.Layers();
        var originals = layers.Select(context.GetMatrix).ToArray();
        var hessians = spec.Candidates.Any(c => c.Gptq) ? layers.Select(l => context.InputHessian(l, "auto")).ToArray() : null;
        var cache = new Dictionary<(string, AutoCandidate), StoredMatrix>();
        s_quantize = (layer, original, candidate) =>
        {
            if (!cache.TryGetValue((layer.Name, candidate), out var stored))
            {
                var h = candidate.Gptq ? hessians![layers.ToList().FindIndex(l => l.Name == layer.Name)] : null;
                stored = CandidateQuantizer.Quantize(original, layer.Rows, layer.Cols, candidate, h);
                cache[(layer.Name, candidate)] = stored;
            }

            return stored;
        };
        var widest = layers.Count == 0 ? 1 : layers.Max(l => l.Cols);
        var bits = spec.Candidates.OrderByDescending(c => c.BitsPerWeight(widest)).ToArray();
        var baseLoss = scorer.Loss(context.Graph);

        // Sensitivity: each layer alone at each candidate.
        var loss = new double[layers.Count][];
        var bytes = new long[layers.Count][];
        for (var l = 0; l < layers.Count; l++)
        {
            loss[l] = new double[bits.Length];
            bytes[l] = new long[bits.Length];
            for (var c = 0; c < bits.Length; c++)
            {
                context.Progress?.Report($"auto: sensitivity of {layers[l].Name} at {bits[c].Name}");
                Apply(context, layers[l], originals[l], bits[c]);
                loss[l][c] = Math.Max(0, scorer.Loss(context.Graph) - baseLoss);
                bytes[l][c] = CandidateQuantizer.Bytes(layers[l].Rows, layers[l].Cols, bits[c]);
                context.SetMatrix(layers[l], originals[l]);
                if (c > 0)
                {
                    loss[l][c] = Math.Max(loss[l][c], loss[l][c - 1]); // fewer bits never help
                }
            }
        }

        var tried = new List<AutoPoint>();
        var allowance = scorer.Allowance - baseLoss;
        var uniform = BestUniform(context, layers, originals, bits, scorer, baseLoss, allowance, tried);

        int[] choice = new int[layers.Count];
        var budget = allowance * SafetyFactor;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            choice = spec.MaxBytes is { } maxBytes ? Shrink(loss, bytes, maxBytes) : Allocate(loss, bytes, budget);
            for (var l = 0; l < layers.Count; l++)
            {
                Apply(context, layers[l], originals[l], bits[choice[l]]);
            }

            var combined = scorer.Loss(context.Graph) - baseLoss;
            var total = Enumerable.Range(0, layers.Count).Sum(l => bytes[l][choice[l]]);
            tried.Add(new AutoPoint(total, combined, Describe(layers, bits, choice), Chosen: false));
            context.Progress?.Report($"auto: attempt {attempt + 1}: {total:N0} bytes, calibration loss {combined:G3} of {allowance:G3} allowed");
            if (spec.MaxBytes is not null || combined <= allowance * 0.8)
            {
                break;
            }

            budget *= 0.5;
        }

        for (var l = 0; l < layers.Count; l++)
        {
            context.Stored[layers[l].Name] = s_quantize!(layers[l], originals[l], bits[choice[l]]);
            context.SetMatrix(layers[l], originals[l]);
        }

        if (spec.MaxBytes is null)
        {
            choice = Refine(context, layers, originals, bits, loss, bytes, choice, scorer, baseLoss, allowance * 0.8, tried);
        }

        tried[^1] = tried[^1] with { Chosen = true };
        var chosenBytes = tried[^1].Bytes;
        context.Notes.Add($"auto: {Describe(layers, bits, choice)} = {chosenBytes:N0} weight bytes; best uniform setting within the tolerance: "
            + (uniform is { } u ? $"{u.Bits.Name} = {u.Bytes:N0} bytes" : "none") + $"; {scorer.Evaluations} evaluations on {data.Count} calibration samples");
        return new AutoResult(layers.Select((l, i) => (l.Name, bits[choice[i]])).ToList(), chosenBytes, uniform?.Bytes, tried)
        {
            Sensitivity = layers.Select((l, i) => (l.Name, loss[i][choice[i]])).ToDictionary(p => p.Name, p => p.Item2, StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// Sensitivities measured one layer at a time overestimate (they are clamped and made monotone), so the additive
    /// allocation leaves slack: keep taking the next-cheapest step while the real combination stays within bounds.
    /// </summary>
    private static int[] Refine(CompressionContext context, IReadOnlyList<LayerWeight> layers, float[][] originals, AutoCandidate[] bits,
        double[][] loss, long[][] bytes, int[] choice, CalibrationScorer scorer, double baseLoss, double limit, List<AutoPoint> tried)
    {
        var improved = true;
        while (improved)
        {
            improved = false;
            var moves = Enumerable.Range(0, layers.Count).Where(l => choice[l] + 1 < bits.Length)
                .OrderByDescending(l => (bytes[l][choice[l]] - bytes[l][choice[l] + 1]) / Math.Max(1e-9, loss[l][choice[l] + 1] - loss[l][choice[l]]))
                .ToList();
            foreach (var l in moves)
            {
                Apply(context, layers[l], originals[l], bits[choice[l] + 1]);
                var combined = scorer.Loss(context.Graph) - baseLoss;
                if (combined <= limit)
                {
                    choice[l]++;
                    var total = Enumerable.Range(0, layers.Count).Sum(i => bytes[i][choice[i]]);
                    tried.Add(new AutoPoint(total, combined, Describe(layers, bits, choice), Chosen: false));
                    context.Progress?.Report($"auto: {layers[l].Name} -> {bits[choice[l]].Name}: {total:N0} bytes, calibration loss {combined:G3}");
                    improved = true;
                    break;
                }

                Apply(context, layers[l], originals[l], bits[choice[l]]);
            }
        }

        return choice;
    }

    private static void Apply(CompressionContext context, LayerWeight layer, float[] original, AutoCandidate bits) =>
        context.SetMatrix(layer, s_quantize!(layer, original, bits).Decode());

    /// <summary>Greedy: from the widest setting, take the step that saves the most bytes per unit of added loss.</summary>
    private static int[] Allocate(double[][] loss, long[][] bytes, double budget)
    {
        var choice = new int[loss.Length];
        var total = loss.Sum(l => l[0]);
        while (true)
        {
            var (best, bestRatio) = (-1, 0.0);
            for (var l = 0; l < loss.Length; l++)
            {
                var c = choice[l];
                if (c + 1 >= loss[l].Length || total - loss[l][c] + loss[l][c + 1] > budget)
                {
                    continue;
                }

                var ratio = (bytes[l][c] - bytes[l][c + 1]) / Math.Max(1e-9, loss[l][c + 1] - loss[l][c]);
                if (ratio > bestRatio)
                {
                    (best, bestRatio) = (l, ratio);
                }
            }

            if (best < 0)
            {
                return choice;
            }

            total += loss[best][choice[best] + 1] - loss[best][choice[best]];
            choice[best]++;
        }
    }

    /// <summary>Budget mode: narrow the layers that cost the least loss per byte saved until the model fits.</summary>
    private static int[] Shrink(double[][] loss, long[][] bytes, long maxBytes)
    {
        var choice = new int[loss.Length];
        while (Enumerable.Range(0, loss.Length).Sum(l => bytes[l][choice[l]]) > maxBytes)
        {
            var candidates = Enumerable.Range(0, loss.Length).Where(l => choice[l] + 1 < loss[l].Length).ToList();
            if (candidates.Count == 0)
            {
                break;
            }

            var best = candidates.OrderBy(l => (loss[l][choice[l] + 1] - loss[l][choice[l]]) / Math.Max(1, bytes[l][choice[l]] - bytes[l][choice[l] + 1])).First();
            choice[best]++;
        }

        return choice;
    }

    private static (AutoCandidate Bits, long Bytes)? BestUniform(CompressionContext context, IReadOnlyList<LayerWeight> layers, float[][] originals, AutoCandidate[] bits,
        CalibrationScorer scorer, double baseLoss, double allowance, List<AutoPoint> tried)
    {
        (AutoCandidate Bits, long Bytes)? best = null;
        foreach (var b in bits)
        {
            for (var l = 0; l < layers.Count; l++)
            {
                Apply(context, layers[l], originals[l], b);
            }

            var combined = scorer.Loss(context.Graph) - baseLoss;
            var total = layers.Sum(l => CandidateQuantizer.Bytes(l.Rows, l.Cols, b));
            tried.Add(new AutoPoint(total, combined, $"uniform {b.Name}", Chosen: false));
            if (combined <= allowance * 0.8)
            {
                best = (b, total);
            }
        }

        for (var l = 0; l < layers.Count; l++)
        {
            context.SetMatrix(layers[l], originals[l]);
        }

        return best;
    }

    private static string Describe(IReadOnlyList<LayerWeight> layers, AutoCandidate[] bits, int[] choice) =>
        string.Join(", ", layers.Select((l, i) => $"{l.Name}:{bits[choice[i]].Name}"));

    /// <summary>The manifest that reproduces the choice without searching again (written next to the outputs).</summary>
    /// <param name="result">Auto's decision.</param>
    /// <param name="calibration">The calibration section, needed again when GPTQ was chosen (paths made absolute).</param>
    /// <param name="baseDirectory">The folder the original manifest's relative paths start from.</param>
    public static string PinnedManifest(AutoResult result, DatasetSection? calibration, string baseDirectory)
    {
        static string Json(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var sb = new StringBuilder("{\n  \"description\": \"chosen by ModelBuild auto mode; pin it by using this file as the manifest\",\n");
        if (calibration is not null && result.Layers.Any(l => l.Setting.Gptq))
        {
            string Path(string p) => calibration.Format == "synthetic" ? p : System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, p));
            sb.Append(CultureInfo.InvariantCulture, $"  \"calibration\": {{ \"images\": {Json(Path(calibration.Images))}, \"format\": {Json(calibration.Format)}");
            if (calibration.Labels is { } labels)
            {
                sb.Append(CultureInfo.InvariantCulture, $", \"labels\": {Json(Path(labels))}");
            }

            if (calibration.Preprocessing is { } pre)
            {
                sb.Append(CultureInfo.InvariantCulture, $", \"preprocessing\": {Json(pre)}");
            }

            if (calibration.Count is { } count)
            {
                sb.Append(CultureInfo.InvariantCulture, $", \"count\": {count}");
            }

            if (calibration.SampleShape is { } shape)
            {
                sb.Append(CultureInfo.InvariantCulture, $", \"sampleShape\": [{string.Join(", ", shape)}]");
            }

            sb.Append(" },\n");
        }

        sb.Append("  \"passes\": [\n");
        var groups = result.Layers.GroupBy(l => l.Setting).ToList();
        for (var i = 0; i < groups.Count; i++)
        {
            var names = string.Join(", ", groups[i].Select(l => Json(l.Name)));
            var setting = groups[i].Key;
            var granularity = setting.GroupSize == 0 ? "" : $", \"granularity\": \"per-group\", \"groupSize\": {setting.GroupSize}";
            var method = setting.Gptq ? ", \"method\": \"gptq\"" : "";
            sb.Append(CultureInfo.InvariantCulture, $"    {{ \"quantize\": {{ \"weights\": \"int{setting.Bits}\"{granularity}{method}, \"layers\": [{names}] }} }}");
            sb.Append(i + 1 < groups.Count ? ",\n" : "\n");
        }

        return sb.Append("  ]\n}\n").ToString();
    }
}

/// <summary>A size/loss point auto mode measured (for the report's scatter plot).</summary>
public sealed record AutoPoint(long Bytes, double Loss, string Label, bool Chosen);

/// <summary>Auto mode's decision: bits per layer, the resulting weight bytes, and the best uniform alternative.</summary>
public sealed record AutoResult(IReadOnlyList<(string Name, AutoCandidate Setting)> Layers, long Bytes, long? UniformBytes, IReadOnlyList<AutoPoint> Tried)
{
    /// <summary>Each layer's measured loss alone at its chosen setting (calibration data, tolerance units).</summary>
    public IReadOnlyDictionary<string, double> Sensitivity { get; init; } = new Dictionary<string, double>();
}
