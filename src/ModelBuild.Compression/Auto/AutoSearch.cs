using System.Diagnostics;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// The state one auto search works on: the layers as the earlier passes left them, the quantised candidates (cached
/// per layer and setting), the scorer, the clock, and every point measured. <see cref="AutoCompressor"/> drives it.
/// </summary>
/// <remarks>
/// The search itself uses a fast model of a choice (each layer quantised alone against the input statistics of the
/// unquantised model); every result it may ship is then built for real by the quantize passes the pinned manifest
/// carries (<see cref="Verify"/>), and its loss and embedded bytes are measured on that model.
/// </remarks>
internal sealed class AutoSearch
{
    private readonly CompressionContext _context;
    private readonly Func<long> _embeddedBytes;
    private readonly Dictionary<string, StoredMatrix> _storedBefore;
    private readonly int _notesBefore;
    private readonly Dictionary<(int Layer, int Setting), StoredMatrix> _cache = new();
    private readonly double[]?[] _hessians;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public AutoSearch(CompressionContext context, AutoSpec spec, ToleranceSpec tolerance, Func<long> embeddedBytes)
    {
        _context = context;
        Spec = spec;
        _embeddedBytes = embeddedBytes;
        _storedBefore = new Dictionary<string, StoredMatrix>(context.Stored, StringComparer.Ordinal);
        _notesBefore = context.Notes.Count;
        context.InvalidateActivations(); // Hessians of the model as the earlier passes left it, not as it was read
        Layers = context.Layers();
        Originals = Layers.Select(context.GetMatrix).ToArray();
        var widest = Layers.Count == 0 ? 1 : Layers.Max(l => l.Cols);
        Settings = spec.Candidates.OrderByDescending(c => c.BitsPerWeight(widest)).ToArray();
        _hessians = Layers.Select(l => Settings.Any(c => c.Gptq) ? context.InputHessian(l, "auto") : null).ToArray();
        Scorer = new CalibrationScorer(context.ModelPath, context.Calibration!, tolerance, context.Services!.Scoring);
        BaseLoss = Scorer.Loss(context.Graph);
        Allowance = Scorer.Allowance - BaseLoss;
    }

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

    /// <summary>True when the time budget skipped sensitivities or stopped refinement (the result then depends on the machine's speed).</summary>
    public bool CutShort { get; set; }

    /// <summary>True once <paramref name="fraction"/> of the time budget is spent.</summary>
    public bool PastTime(double fraction) => ElapsedSeconds > Spec.MaxSeconds * fraction;

    /// <summary>A progress line with the elapsed time, e.g. <c>auto [12.3 s]: uniform int4: …</c>.</summary>
    public void Progress(string line) => _context.Progress?.Report(FormattableString.Invariant($"auto [{ElapsedSeconds:0.0} s]: {line}"));

    /// <summary>The calibration loss of the graph as it is now, over the unquantised model's.</summary>
    public double Loss() => Scorer.Loss(_context.Graph) - BaseLoss;

    /// <summary>Sets one layer to a candidate in the fast model (or back to its weights before the search, for -1).</summary>
    public void Set(int layer, int setting) =>
        _context.SetMatrix(Layers[layer], setting < 0 ? Originals[layer] : Quantized(layer, setting).Decode());

    /// <summary>Sets every layer to its choice in the fast model.</summary>
    public void SetAll(int[] choice)
    {
        for (var l = 0; l < Layers.Count; l++)
        {
            Set(l, choice[l]);
        }
    }

    /// <summary>The blob size the fast model's choice would embed (the entropy pass included, when it ran).</summary>
    public long EstimatedEmbedded(int[] choice)
    {
        for (var l = 0; l < Layers.Count; l++)
        {
            _context.Stored[Layers[l].Name] = Passes.Quantization.LayerSelection.KeepSparsity(_context, Layers[l], Quantized(l, choice[l]));
        }

        var bytes = _embeddedBytes();
        RestoreStored();
        return bytes;
    }

    /// <summary>The manifest passes that build <paramref name="choice"/>.</summary>
    public IReadOnlyList<string> PassesFor(int[] choice) => AutoPasses.Json(Named(choice));

    public IReadOnlyList<(string Name, AutoCandidate Setting)> Named(int[] choice) => Layers.Select((l, i) => (l.Name, Settings[choice[i]])).ToList();

    /// <summary>
    /// Builds <paramref name="choice"/> for real (from the weights before the search, with the quantize passes the pinned
    /// manifest will carry) and measures it: what this leaves in the context is what ships.
    /// </summary>
    public (long Bytes, double Loss) Verify(int[] choice, string label)
    {
        Restore();
        AutoPasses.Apply(_context, PassesFor(choice));
        var result = (_embeddedBytes(), Loss());
        Tried.Add(new AutoPoint(result.Item1, result.Item2, label + " (built)", Chosen: false));
        Progress(FormattableString.Invariant($"{label}, built: {result.Item1:N0} embedded bytes, calibration loss {result.Item2:G3} of {Allowance:G3} allowed"));
        return result;
    }

    public string Describe(int[] choice) => string.Join(", ", Layers.Select((l, i) => $"{l.Name}:{Settings[choice[i]].Name}"));

    /// <summary>Back to the weights, stored formats and notes from before the search.</summary>
    private void Restore()
    {
        for (var l = 0; l < Layers.Count; l++)
        {
            _context.SetMatrix(Layers[l], Originals[l]);
        }

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

    private StoredMatrix Quantized(int layer, int setting)
    {
        if (!_cache.TryGetValue((layer, setting), out var stored))
        {
            var l = Layers[layer];
            stored = CandidateQuantizer.Quantize(Originals[layer], l.Rows, l.Cols, Settings[setting], _hessians[layer]);
            _cache[(layer, setting)] = stored;
        }

        return stored;
    }
}
