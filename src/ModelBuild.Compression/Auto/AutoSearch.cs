using System.Diagnostics;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// The state one auto search works on: the layers as the earlier passes left them, the quantised candidates (cached
/// per layer and setting), the scorer, the clock, and every point measured. <see cref="AutoCompressor"/> drives it.
/// </summary>
/// <remarks>
/// The search itself uses a fast model of a choice (each layer quantised alone against the input statistics of the
/// unquantised model); every result it may ship is then built for real by the quantize passes the pinned manifest
/// carries (<see cref="Verify(int[], string)"/>), and its loss and embedded bytes are measured on that model.
/// </remarks>
internal sealed class AutoSearch
{
    private readonly CompressionContext _context;
    private readonly Func<long> _embeddedBytes;
    private readonly Dictionary<string, StoredMatrix> _storedBefore;
    private readonly int _notesBefore;
    private readonly Dictionary<(int Layer, int Setting), Built> _cache = new();
    private readonly Dictionary<int, LowRankEstimate.Basis> _lowRankBases = new();
    private readonly Dictionary<(int Layer, double Sparsity), (float[] Matrix, float[]? Bias)> _pruned = new();
    private readonly Tensor?[] _biases;
    private readonly double _totalWeights;
    private readonly GraphSnapshot _graphBefore;
    private long? _overhead;
    private bool _built; // the context holds a result Verify built (not the fast model's graph)
    private readonly float[]?[] _inputs;
    private readonly double[]?[] _hessians;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;

    /// <param name="context">The model after the manifest's passes.</param>
    /// <param name="spec">The candidates and budgets.</param>
    /// <param name="tolerance">The bound the losses are measured against.</param>
    /// <param name="embeddedBytes">The whole blob's size for the context's current state.</param>
    /// <param name="gateData">The validation data of the accuracy gate, or null: with it every built result is also
    /// measured there (<see cref="Verify(int[], string)"/>), so auto can back off before the gate fails.</param>
    public AutoSearch(CompressionContext context, AutoSpec spec, ToleranceSpec tolerance, Func<long> embeddedBytes, CalibrationSet? gateData = null)
    {
        _context = context;
        Spec = spec;
        _embeddedBytes = embeddedBytes;
        _storedBefore = new Dictionary<string, StoredMatrix>(context.Stored, StringComparer.Ordinal);
        _notesBefore = context.Notes.Count;
        context.InvalidateActivations(); // Hessians of the model as the earlier passes left it, not as it was read
        Layers = context.Layers();
        Originals = Layers.Select(context.GetMatrix).ToArray();
        _biases = Layers.Select(l => Passes.Pruning.LayerSelection.Bias(context.Graph, l)).ToArray();
        _totalWeights = Layers.Sum(l => (double)l.Rows * l.Cols);
        _graphBefore = new GraphSnapshot(context.Graph);

        var widest = Layers.Count == 0 ? 1 : Layers.Max(l => l.Cols);
        Settings = spec.Candidates.OrderByDescending(c => c.BitsPerWeight(widest)).ToArray();
        // The inputs of the layers low-rank candidates may refit (as the lowrank pass does), recorded once on the model before the search.
        var refit = Layers.Select((l, i) => Passes.Pruning.LayerSelection.IsDense(l) && Settings.Any(c => c.Rank > 0 && Tries(i, Array.IndexOf(Settings, c)))).ToArray();
        var values = Layers.Where((l, i) => refit[i]).Select(l => l.InputValue).Distinct().ToList();
        var recorded = values.Count == 0 ? new Dictionary<string, (float[] Data, int[] Shape)>() : context.Record(values, "auto");
        _inputs = Layers.Select((l, i) => refit[i] ? recorded[l.InputValue].Data : null).ToArray();
        _hessians = Layers.Select(l => Settings.Any(c => !c.NeedsPasses) ? context.InputHessian(l, "auto") : null).ToArray(); // GPTQ and the proxy
        Scorer = new CalibrationScorer(context.ModelPath, context.Calibration!, tolerance, context.Services!.Scoring);
        BaseLoss = Scorer.Loss(context.Graph);
        Allowance = Scorer.Allowance - BaseLoss;
        if (gateData is not null)
        {
            Gate = new CalibrationScorer(context.ModelPath, gateData, tolerance, context.Services!.Scoring);
            GateBaseLoss = Gate.Loss(context.Graph);
        }
    }

    /// <summary>The accuracy gate's data as a scorer (null without a validation section).</summary>
    public CalibrationScorer? Gate { get; }

    /// <summary>The gate's loss of the model before the search (earlier passes included).</summary>
    public double GateBaseLoss { get; }

    public AutoSpec Spec { get; }

    public string ManifestPath => _context.ManifestPath;

    public IReadOnlyList<LayerWeight> Layers { get; }

    public float[][] Originals { get; }

    /// <summary>The candidates, widest first.</summary>
    public AutoCandidate[] Settings { get; }

    public CalibrationScorer Scorer { get; }

    public double BaseLoss { get; }

    /// <summary>The loss the tolerance allows on the calibration data.</summary>
    public double Allowance { get; }

    public List<AutoPoint> Tried { get; } = new();

    public double ElapsedSeconds => _clock.Elapsed.TotalSeconds;

    /// <summary>Processor time this process spent since the search started (all threads): wall time says little on a loaded machine.</summary>
    public double CpuSeconds => (Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart).TotalSeconds;

    /// <summary>True when the time budget skipped sensitivities or stopped refinement (the result then depends on the machine's speed).</summary>
    public bool CutShort { get; set; }

    /// <summary>True once <paramref name="fraction"/> of the time budget is spent.</summary>
    public bool PastTime(double fraction) => ElapsedSeconds > Spec.MaxSeconds * fraction;

    /// <summary>A progress line with the elapsed time, e.g. <c>auto [12.3 s]: uniform int4: …</c>.</summary>
    public void Progress(string line) => _context.Progress?.Report(FormattableString.Invariant($"auto [{ElapsedSeconds:0.0} s]: {line}"));

    /// <summary>The calibration loss of the graph as it is now, over the unquantised model's.</summary>
    public double Loss() => Scorer.Loss(_context.Graph) - BaseLoss;

    /// <summary>Sets one layer to a candidate in the fast model (or back to its weights before the search, for -1).</summary>
    public void Set(int layer, int setting)
    {
        LeaveBuilt();
        var built = setting < 0 ? null : Candidate(layer, setting);
        _context.SetMatrix(Layers[layer], built?.Decoded ?? Originals[layer]);
        if (_biases[layer] is { } bias)
        {
            _context.Graph.SetInitializer(built?.Bias is { } refit ? Tensor.FromFloats(bias.Name, bias.Dims, refit) : bias);
        }
    }

    /// <summary>
    /// The layer's blob bytes at a candidate, alone: its stored form's size in the smallest lossless form, Brotli
    /// compressed when the entropy pass ran (so palettes and pruned layers are priced as they ship, not by their bits).
    /// </summary>
    public long LayerBytes(int layer, int setting) => setting < 0 ? StorageChoice.SizeOf(Stored(layer, -1), _context.EntropyCoding) : Candidate(layer, setting).Bytes;

    /// <summary>Sets every layer to its choice in the fast model.</summary>
    public void SetAll(int[] choice)
    {
        for (var l = 0; l < Layers.Count; l++)
        {
            Set(l, choice[l]);
        }
    }

    /// <summary>
    /// The blob size the fast model's choice would embed: the layers' own bytes (<see cref="LayerBytes"/>) plus what the
    /// rest of the blob (biases, headers, other tensors) costs, measured once with every layer at the widest setting.
    /// An estimate (entropy coding of the whole blob is not quite the sum over layers); built results are measured.
    /// </summary>
    public long EstimatedEmbedded(int[] choice)
    {
        if (_overhead is null)
        {
            for (var l = 0; l < Layers.Count; l++)
            {
                _context.Stored[Layers[l].Name] = Stored(l, 0);
            }

            // Never below zero: Brotli on the whole blob can beat the sum of the layers compressed apart.
            _overhead = Math.Max(0, _embeddedBytes() - Enumerable.Range(0, Layers.Count).Sum(l => LayerBytes(l, 0)));
            RestoreStored();
        }

        return _overhead.Value + Enumerable.Range(0, Layers.Count).Sum(l => LayerBytes(l, choice[l]));
    }

    /// <summary>The manifest passes that build <paramref name="choice"/>.</summary>
    public IReadOnlyList<string> PassesFor(int[] choice) => AutoPasses.Json(Named(choice));

    /// <summary>
    /// Whether a setting is tried on a layer: settings that need passes (pruning, palettes: a calibration run and a
    /// k-means or refit each) only on layers holding at least <see cref="PassCandidateShare"/> of the weights, where
    /// their savings can matter; linear settings everywhere.
    /// </summary>
    public bool Tries(int layer, int setting)
    {
        var (candidate, l) = (Settings[setting], Layers[layer]);
        return !candidate.Structural
            || (IsLarge(layer)
                && (candidate.Rank == 0 || (Passes.Pruning.LayerSelection.IsDense(l) && LowRankEstimate.Saves(l.Rows, l.Cols, candidate.Rank))));
    }

    /// <summary>
    /// A cheap stand-in for a candidate's loss, to decide which candidates are worth measuring: the output error the
    /// layer's input second moments predict from the weight error alone, Σᵢⱼ (Wᵢⱼ − Ŵᵢⱼ)² Hⱼⱼ (the diagonal of
    /// H = XᵀX/n; Optimal Brain Damage's saliency, LeCun et al. 1990), over the same for W. Null without a Hessian.
    /// </summary>
    public double? Proxy(int layer, int setting)
    {
        if (_hessians[layer] is not { } h)
        {
            return null;
        }

        var (w, cols) = (Originals[layer], Layers[layer].Cols);
        var decoded = Candidate(layer, setting).Decoded;
        double error = 0, norm = 0;
        for (var i = 0; i < w.Length; i++)
        {
            var hjj = h[((i % cols) * cols) + (i % cols)];
            var d = (double)w[i] - decoded[i];
            error += d * d * hjj;
            norm += (double)w[i] * w[i] * hjj;
        }

        return error / Math.Max(norm, double.Epsilon);
    }

    /// <summary>The share of all weights a layer needs for pruned or palettised candidates to be tried on it.</summary>
    public const double PassCandidateShare = 0.05;

    public IReadOnlyList<(string Name, AutoCandidate Setting)> Named(int[] choice) => Layers.Select((l, i) => (l.Name, Settings[choice[i]])).ToList();

    /// <summary>
    /// Builds <paramref name="choice"/> for real (from the weights before the search, with the quantize passes the pinned
    /// manifest will carry) and measures it: what this leaves in the context is what ships.
    /// </summary>
    public Verified Verify(int[] choice, string label) => Verify(PassesFor(choice), label, (int[])choice.Clone());

    /// <summary>Builds the model <paramref name="passes"/> make from the weights before the search and measures it (what this leaves in the context is what ships).</summary>
    /// <param name="passes">Manifest pass objects (JSON), applied in order.</param>
    /// <param name="label">For the progress line and the Pareto front.</param>
    /// <param name="choice">The per-layer choice the passes encode, or null for a whole-model recipe.</param>
    public Verified Verify(IReadOnlyList<string> passes, string label, int[]? choice)
    {
        Restore();
        AutoPasses.Apply(_context, passes);
        return Measure(passes, label, choice);
    }

    /// <summary>
    /// Builds <paramref name="common"/> once, then each variant's passes on top of it (restored between variants), and
    /// measures each: the same models as building common + variant from the weights before the search (the passes are
    /// deterministic and read only the graph and stored formats, which are restored), at the cost of one common part.
    /// </summary>
    public IReadOnlyList<Verified> VerifyVariants(IReadOnlyList<string> common, IReadOnlyList<(IReadOnlyList<string> Passes, string Label)> variants)
    {
        Restore();
        AutoPasses.Apply(_context, common);
        var snapshot = new GraphSnapshot(_context.Graph);
        var stored = new Dictionary<string, StoredMatrix>(_context.Stored, StringComparer.Ordinal);
        var notes = _context.Notes.Count;
        var results = new List<Verified>();
        foreach (var (passes, label) in variants)
        {
            snapshot.Restore(_context.Graph);
            _context.InvalidateActivations();
            _context.Stored.Clear();
            foreach (var (name, matrix) in stored)
            {
                _context.Stored[name] = matrix;
            }

            _context.Notes.RemoveRange(notes, _context.Notes.Count - notes);
            AutoPasses.Apply(_context, passes);
            results.Add(Measure([.. common, .. passes], label, choice: null));
        }

        return results;
    }

    private Verified Measure(IReadOnlyList<string> passes, string label, int[]? choice)
    {
        var bytes = _embeddedBytes();
        var loss = Loss();
        double? gate = Gate is null ? null : Gate.Loss(_context.Graph) - GateBaseLoss;
        _built = true;
        Tried.Add(new AutoPoint(bytes, loss, label + " (built)", Chosen: false));
        Progress(FormattableString.Invariant($"{label}, built: {bytes:N0} embedded bytes, calibration loss {loss:G3} of {Allowance:G3} allowed")
            + (gate is { } g ? FormattableString.Invariant($", validation loss {g:G3}") : ""));
        return new Verified(choice, label, bytes, loss, gate) { Passes = passes };
    }

    /// <summary>True for a layer holding at least <see cref="PassCandidateShare"/> of the weights (where pruned and palettised settings are tried).</summary>
    public bool IsLarge(int layer) => (double)Layers[layer].Rows * Layers[layer].Cols >= PassCandidateShare * _totalWeights;

    public string Describe(int[] choice) => string.Join(", ", Layers.Select((l, i) => $"{l.Name}:{Settings[choice[i]].Name}"));

    /// <summary>
    /// Back to the graph the fast model works on when a built result is in the context: a built low-rank layer no
    /// longer exists under its own name (the pass split it into two factors), so the fast model cannot set it.
    /// </summary>
    private void LeaveBuilt()
    {
        if (_built)
        {
            Restore();
        }
    }

    /// <summary>Back to the weights, stored formats and notes from before the search.</summary>
    private void Restore()
    {
        _built = false;
        _graphBefore.Restore(_context.Graph); // low rank rewrites nodes; every pass changes initializers
        _context.InvalidateActivations();
        RestoreStored();
        _context.Notes.RemoveRange(_notesBefore, _context.Notes.Count - _notesBefore);
    }

    private void RestoreStored()
    {
        _context.Stored.Clear();
        foreach (var (name, stored) in _storedBefore)
        {
            _context.Stored[name] = stored;
        }
    }

    /// <summary>What the layer stores at a setting (sparse when pruned, as the storage step would choose).</summary>
    private StoredMatrix Stored(int layer, int setting) => setting < 0
        ? _storedBefore.TryGetValue(Layers[layer].Name, out var before) ? before : new DenseFloat(Layers[layer].Rows, Layers[layer].Cols, Originals[layer])
        : Candidate(layer, setting).Stored;

    /// <summary>
    /// One layer at one setting, built alone against the model before the search and cached: linear settings by the
    /// quantiser directly (with the Hessian measured once), pruned or palettised ones by running their passes on
    /// that layer only (reconstruction refits the bias too), then restoring the context.
    /// </summary>
    private Built Candidate(int layer, int setting)
    {
        if (_cache.TryGetValue((layer, setting), out var built))
        {
            return built;
        }

        LeaveBuilt();
        var l = Layers[layer];
        var candidate = Settings[setting];
        if (candidate.Rank > 0)
        {
            if (!_lowRankBases.TryGetValue(layer, out var basis))
            {
                // One SVD and one pass over the calibration inputs per layer, shared by every rank tried on it.
                // (Every candidate's rank: the whole-model candidates estimate ranks on layers the per-layer search does not try them on.)
                basis = LowRankEstimate.Prepare(Originals[layer], l.Rows, l.Cols, Settings.Max(c => c.Rank), _inputs[layer], _biases[layer]?.ToFloats());
                _lowRankBases[layer] = basis;
            }

            var (product, bias, bytes) = LowRankEstimate.Build(basis, candidate, _hessians[layer], _context.EntropyCoding);
            built = new Built(new DenseFloat(l.Rows, l.Cols, product), product, bias, bytes);
        }
        else if (!candidate.NeedsPasses)
        {
            var stored = Passes.Quantization.LayerSelection.KeepSparsity(_context, l,
                CandidateQuantizer.Quantize(Originals[layer], l.Rows, l.Cols, candidate, _hessians[layer]));
            built = new Built(stored, stored.Decode(), null, StorageChoice.SizeOf(stored, _context.EntropyCoding));
        }
        else
        {
            var matrices = Layers.Select(_context.GetMatrix).ToArray(); // the fast model's current state, put back after
            var biases = _biases.Select(b => b is null ? null : _context.Graph.GetInitializer(b.Name)).ToArray();
            Restore();
            if (candidate.Sparsity > 0)
            {
                // The pruning (and reconstruction) is shared by every candidate with this sparsity on the layer
                // (p93-pal4, p93-pal3): prune once, then run each candidate's palette or quantize pass on the result.
                var (pruned, prunedBias) = Pruned(layer, candidate.Sparsity);
                _context.SetMatrix(l, pruned);
                if (_biases[layer] is { } b0 && prunedBias is not null)
                {
                    _context.Graph.SetInitializer(Tensor.FromFloats(b0.Name, b0.Dims, prunedBias));
                }
            }

            AutoPasses.Apply(_context, [.. AutoPasses.Weights([(l.Name, candidate)])]);
            var decoded = _context.GetMatrix(l);
            var stored = _context.Stored.TryGetValue(l.Name, out var s) ? s : new DenseFloat(l.Rows, l.Cols, decoded);
            var bias = _biases[layer] is { } b ? _context.Graph.GetInitializer(b.Name)!.ToFloats() : null;
            built = new Built(stored, decoded, bias, StorageChoice.SizeOf(stored, _context.EntropyCoding));
            Restore();
            for (var i = 0; i < Layers.Count; i++)
            {
                _context.SetMatrix(Layers[i], matrices[i]);
                if (biases[i] is { } t)
                {
                    _context.Graph.SetInitializer(t);
                }
            }
        }

        _cache[(layer, setting)] = built;
        return built;
    }

    /// <summary>The layer pruned alone to <paramref name="sparsity"/> by a prune pass (one round with reconstruction), from the weights before the search: its weights and refit bias, cached; the context is left restored.</summary>
    private (float[] Matrix, float[]? Bias) Pruned(int layer, double sparsity)
    {
        if (!_pruned.TryGetValue((layer, sparsity), out var pruned))
        {
            Restore();
            var names = Layers.Select(l => l.Name).ToList();
            // One round: the estimate's reconstruction then solves only the final mask directly on the shared Gram; the
            // built passes' earlier rounds keep more than DirectLimit weights per row (conjugate gradients on kept² systems).
            AutoPasses.Apply(_context, [.. AutoPasses.Prunes([(Layers[layer].Name, new AutoCandidate(8, 0) { Sparsity = sparsity })], names, pruneRounds: 1)]);
            pruned = (_context.GetMatrix(Layers[layer]), _biases[layer] is { } b ? _context.Graph.GetInitializer(b.Name)!.ToFloats() : null);
            _pruned[(layer, sparsity)] = pruned;
            Restore();
        }

        return pruned;
    }

    /// <summary>
    /// A layer built at one setting: what it stores (for low rank, only a stand-in: the factors are priced in
    /// <paramref name="Bytes"/>), its float weights, its refit bias (null: unchanged) and its blob bytes.
    /// </summary>
    private sealed record Built(StoredMatrix Stored, float[] Decoded, float[]? Bias, long Bytes);
}

/// <summary>
/// A configuration built for real by its passes: the per-layer choice (null for a whole-model recipe such as global
/// pruning), embedded bytes, calibration loss and, with a gate, validation loss.
/// </summary>
internal sealed record Verified(int[]? Choice, string Label, long Bytes, double Loss, double? GateLoss)
{
    /// <summary>The manifest passes (JSON) that built it: what the pinned manifest carries.</summary>
    public IReadOnlyList<string> Passes { get; init; } = [];
}
