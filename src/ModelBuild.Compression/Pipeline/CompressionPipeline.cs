using System.Text;
using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Reporting;
using ModelBuild.Compression.Validation;
using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// ONNX file → graph IR → simplification → manifest passes → plan + weights blob + compressed ONNX + report.
/// This is everything the build does for one model; the MSBuild task and the CLI are thin shells around it.
/// </summary>
public static class CompressionPipeline
{
    /// <summary>Compresses one model and writes its outputs (or keeps them when nothing changed).</summary>
    /// <param name="request">The model, manifest and where the outputs go.</param>
    /// <param name="services">Data loading, activation recording and scoring: <c>EvaluationServices.Create()</c> in the worker.</param>
    /// <param name="progress">Progress lines for the build log.</param>
    public static CompressionResult Run(CompressionRequest request, CompressionServices services, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        using var invariant = InvariantCultureScope.Enter();
        try
        {
            return RunInvariant(request, services, progress);
        }
        finally
        {
            // The blob and compressed .onnx are streamed to these and moved into place on success; after a failure
            // nothing half-written is left beside the outputs.
            var stem = Path.Combine(request.OutputDirectory, request.ClassName);
            OutputFiles.Discard(BlobStagingFile(request));
            StagedOnnx.Discard(stem + ".compressed.onnx");
        }
    }

    /// <summary>
    /// Loads the staged blob and checks it (<see cref="BlobVerifier"/>). A method of its own, not inlined: in the long
    /// <c>RunInvariant</c> the JIT may keep a temporary alive to the end of the method, and this one is the whole blob
    /// (354 MB for a 2.7 GB model at int4), which then stayed resident through ONNX Runtime's checks.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void VerifyBlob(string blobFile, Planning.WeightTable weights, string modelPath) =>
        BlobVerifier.Check(Runtime.WeightBlob.LoadFile(blobFile), weights, modelPath);

    /// <summary>Where the weights blob is streamed before it is moved into place.</summary>
    private static string BlobStagingFile(CompressionRequest request) =>
        OutputFiles.StagingPath(Path.Combine(request.OutputDirectory, request.ClassName) + ".weights.mbw");

    private static CompressionResult RunInvariant(CompressionRequest request, CompressionServices services, IProgress<string>? progress)
    {
        var manifest = request.ManifestPath.Length == 0 ? CompressionManifest.Default : CompressionManifest.Load(request.ManifestPath);

        // The content hash reads these files first: a pipe or device must fail here, not block the build.
        SafeFiles.RequireRegularOrMissing(request.ModelPath, "MB1001", "ONNX model file");
        foreach (var (key, data) in manifest.NamedDataFiles())
        {
            SafeFiles.RequireRegularOrMissing(data, "MB4003", "data file");
            if (!File.Exists(data))
            {
                // Before any pass runs: a mistyped path must not cost a whole compression first.
                var manifestPath = request.ManifestPath.Length == 0 ? data : Path.GetFullPath(request.ManifestPath);
                throw new ModelBuildException("MB4003", manifestPath,
                    $"the data file '{data}' named by '{key}' does not exist (relative paths start at the manifest's folder, "
                    + $"{Path.GetDirectoryName(manifestPath)}). Fix the path, or fetch the data before building.");
            }
        }

        var stem = Path.Combine(request.OutputDirectory, request.ClassName);
        var listedExternal = ListedExternalData(stem, manifest);
        foreach (var data in listedExternal)
        {
            SafeFiles.RequireRegularOrMissing(data, "MB1004", "external data file");
        }

        var hash = ContentHash.Compute(request, manifest, listedExternal);
        if (!request.Force && UpToDate(stem, hash, " (unchanged)") is { } cached)
        {
            progress?.Report("inputs unchanged (same content hash): keeping the previous outputs and verdict");
            return cached;
        }

        if (!request.Force && request.CacheDirectory is { Length: > 0 } cache && OutputCache.TryRestore(cache, request.ClassName, hash, request.OutputDirectory)
            && UpToDate(stem, hash, " (from the cache)") is { } restored)
        {
            progress?.Report($"same inputs as an earlier build (content hash {hash[..16]}): outputs copied from {OutputCache.EntryDirectory(cache, request.ClassName, hash)}, no compression");
            return restored;
        }

        progress?.Report($"reading {request.ModelPath}");
        var graph = OnnxImporter.Import(request.ModelPath); // first: a missing or unnamable file is MB1001, not an I/O exception
        var originalBytes = ModelBytes(request.ModelPath, graph);
        var externalData = ExternalDataFiles(graph);
        if (!externalData.SequenceEqual(listedExternal))
        {
            hash = ContentHash.Compute(request, manifest, externalData); // the outputs vouch for the data actually read
        }

        InputPinning.Apply(graph, request.ModelPath, PinnedShapes(request, manifest));
        var widened = WeightPrecision.Widen(graph);

        progress?.Report("simplifying the graph and inferring shapes");
        GraphOptimizer.Simplify(graph, RuntimeConstantEvaluator.Instance);
        GemmNormalizer.Run(graph);
        ShapeInference.Run(graph);
        var zeroConfig = request.ManifestPath.Length == 0;
        if (zeroConfig && DefaultGate.For(graph, request.ModelPath) is { } gated)
        {
            manifest = gated; // the default int8 checks itself on synthetic inputs: no MB5002 for a build without a manifest
        }

        // The original model runs first, while the compressor holds no weights: ONNX Runtime's copy is the largest.
        // Its errors wait for the gate's turn, so the model's own checks (planning's MB1007/MB3003, …) still come first
        // and name the real cause rather than ONNX Runtime's refusal of the same model.
        OriginalOutputs? originalOutputs = null;
        ModelBuildException? originalFailure = null;
        try
        {
            originalOutputs = AccuracyGate.RunOriginal(manifest, request.ModelPath, services, progress);
        }
        catch (ModelBuildException e)
        {
            originalFailure = e;
        }

        var calibration = CalibrationLoader.Load(manifest, services.Data, progress);
        var context = new CompressionContext(graph, request.ModelPath, request.ManifestPath, calibration, progress, services) { NonFinite = manifest.NonFinite };
        var originals = new OriginalWeights(context); // computed per lookup, not a second copy of the model
        var operators = CompressionReport.OperatorsByWeight(graph);
        if (calibration is not null)
        {
            progress?.Report("measuring each layer's input statistics on the calibration data (for the report's output errors)");
        }

        var moments = OutputErrors.Moments(context);
        for (var i = 0; i < manifest.Passes.Count; i++)
        {
            var pass = manifest.Passes[i];
            progress?.Report($"pass {i + 1}/{manifest.Passes.Count}: {pass.Describe()}");
            pass.CreatePass().Apply(context);
            ShapeInference.Run(graph);
        }

        var target = new PlanTarget(request.ClassName, request.Namespace, Path.GetFileName(request.ModelPath), request.ResourceName);
        string? pinned = null;
        Auto.AutoResult? autoResult = null;
        if (manifest.Auto is { } auto)
        {
            progress?.Report("auto: searching per-layer settings");
            var tolerance = manifest.Tolerance ?? new ToleranceSpec("minAgreement", 0);
            // Auto measures what it builds on the gate's data too, so it backs off instead of shipping a model the gate fails.
            var gateData = manifest.Validation is { } validation && manifest.Tolerance is not null
                ? services.Data.Load(validation.Data, Path.GetDirectoryName(Path.GetFullPath(manifest.Path ?? ".")) ?? ".")
                : null;
            autoResult = Auto.AutoCompressor.Run(context, auto, tolerance, () => StorageStep.Measure(context, () =>
            {
                var c = RuntimeChoice.Make(request, context, target, widened);
                return BlobAssembler.Size(c.Weights, context.EntropyCoding, c.FallbackGraph);
            }), gateData);
            pinned = Auto.AutoCompressor.PinnedManifest(autoResult, request.ManifestPath);
        }

        StorageStep.Apply(context);
        progress?.Report("planning buffers and kernels");
        var blobFile = BlobStagingFile(request);
        var choice = RuntimeChoice.Make(request, context, target, widened);
        var (plan, weights) = (choice.Plan, choice.Weights);
        var runtimeLine = RuntimeChoice.Describe(choice, request);
        progress?.Report(runtimeLine);
        // Streamed to disk entry by entry, then read back by the checks: a multi-gigabyte model's blob is never an array
        // next to its compressed .onnx or ONNX Runtime's sessions (issue 12).
        List<WeightReportRow> rows = [];
        long blobLength = 0;
        OutputFiles.Stage(stem + ".weights.mbw", stream => (blobLength, rows) = BlobAssembler.Write(stream, weights, originals, context.EntropyCoding,
            name => WeightPrecision.OriginalElementSize(widened, name), choice.FallbackGraph));
        plan.OriginalBytes = originalBytes;
        plan.EmbeddedBytes = blobLength;
        plan.Passes = manifest.Describe();
        if (plan.Inputs.Count > 0)
        {
            // The manifest's data sections feed the first input; its docs say how that data was prepared.
            plan.Inputs[0] = plan.Inputs[0] with { Doc = InputPreprocessingDoc.Append(plan.Inputs[0].Doc, manifest) };
        }

        progress?.Report($"verifying the weights blob ({blobLength:N0} bytes)");
        LargeModelMemory.BeforeSession(originalBytes); // the writer's encoded payloads are garbage now; the check loads the blob
        VerifyBlob(blobFile, weights, request.ModelPath);
        var errors = moments is null ? null : OutputErrors.Measure(context, moments, originals);
        LargeModelMemory.BeforeSession(originalBytes); // the checked blob is garbage now
        progress?.Report("writing the compressed .onnx");
        var stagedOnnx = CompressedOnnx.Stage(stem + ".compressed.onnx", context, widened);
        var compressedOnnx = CompressedModel.FromFile(stagedOnnx.ModelPath);
        var planText = PlanWriter.Write(plan);
        if (services.Runner is { } runner && !choice.IsFallback)
        {
            progress?.Report("checking the generated code's plan against ONNX Runtime on the compressed model");
            LargeModelMemory.BeforeSession(originalBytes);
            context.Notes.Add(PlanVerifier.Check(planText, () => Runtime.WeightBlob.LoadFile(blobFile), compressedOnnx, graph, runner, calibration, request.ModelPath,
                progress: progress));
        }
        if (originalFailure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(originalFailure);
        }

        LargeModelMemory.BeforeSession(originalBytes);
        var accuracy = AccuracyGate.Check(manifest, request.ModelPath, compressedOnnx, originalOutputs, progress);
        var warnings = new List<string>(context.Warnings);
        if (accuracy is null && manifest.Passes.Any(p => p.Name != "entropy"))
        {
            warnings.Add(zeroConfig
                ? $"{request.ModelPath}: warning MB5002: {request.ClassName} is compressed to int8 (the default, no Manifest) but could not be checked "
                    + "on synthetic inputs: the model's input is not one float tensor whose dimensions after the batch are fixed, or a tensor it computes "
                    + "exceeds 256 MiB per sample. Add a Manifest "
                    + "with a 'validation' section (your own data), or \"passes\": [] to embed exact float32 weights."
                : $"{request.ManifestPath}: warning MB5002: {request.ClassName} is compressed with lossy passes ({manifest.Describe()}) "
                    + "but the manifest has no 'validation' section, so its accuracy was not checked. Add \"validation\" and \"tolerance\" "
                    + "(README: the accuracy gate).");
        }

        var report = new CompressionReport(Path.GetFileName(request.ModelPath), manifest.Describe(), rows, accuracy)
        {
            OriginalFileBytes = originalBytes,
            EmbeddedBytes = blobLength,
            ModelName = request.ClassName,
            Tolerance = manifest.Tolerance,
            ManifestText = request.ManifestPath.Length == 0 ? null : File.ReadAllText(request.ManifestPath),
            Notes = context.Notes,
            EntropyCoded = manifest.Passes.Any(p => p.Name == Manifest.EntropySpec.PassName),
            TriedPoints = autoResult?.Tried.Select(p => new TriedPoint(p.Bytes, p.Loss, p.Label, p.Chosen)).ToList(),
            TriedMetric = autoResult is null ? null : "calibration loss",
        }.WithWeightDetails(originals, context.Stored, operators);
        if (autoResult is not null)
        {
            report = report with { Weights = report.Weights.Select(r => autoResult.Sensitivity.TryGetValue(r.Name, out var v) ? r with { Sensitivity = v } : r).ToList() };
        }

        if (errors is not null)
        {
            report = report with { Weights = report.Weights.Select(r => errors.TryGetValue(r.Name, out var e) ? r with { OutputError = e } : r).ToList() };
            context.Notes.AddRange(errors.Select(e => $"output error ‖WX−ŴX‖/‖WX‖ of {e.Key} on calibration data: {e.Value:P2}"));
        }

        (string, string)[] streamed = [(stem + ".weights.mbw", blobFile), .. stagedOnnx.Files];
        var files = new List<(string, byte[])>
        {
            (stem + ".report.md", Encoding.UTF8.GetBytes(report.ToMarkdown())),
            (stem + ".report.html", Encoding.UTF8.GetBytes(Reporting.Html.HtmlReport.Render(report))),
            (stem + ".inputs", Encoding.UTF8.GetBytes(DataInputs(manifest, externalData))),
            (stem + ".mbplan", Encoding.UTF8.GetBytes(planText)),
            (stem + ".runtime", Encoding.UTF8.GetBytes(choice.RuntimeName + "\n")),
        };
        var pinnedPath = stem + ".auto.compress.json";
        if (pinned is not null)
        {
            files.Add((pinnedPath, Encoding.UTF8.GetBytes(pinned)));
        }
        else if (File.Exists(pinnedPath))
        {
            File.Delete(pinnedPath); // from an earlier auto build; it would describe a model we no longer make
        }

        var summary = $"{Path.GetFileName(request.ModelPath)} -> {request.ClassName}: {Runtime.ModelInfo.FormatBytes(originalBytes)} -> {Runtime.ModelInfo.FormatBytes(blobLength)} embedded "
            + string.Create(System.Globalization.CultureInfo.InvariantCulture, $"({(double)originalBytes / Math.Max(1, blobLength):0.0}x), {plan.Ops.Count} ops, {plan.Passes}")
            + (accuracy is null ? "" : ", " + AccuracyGate.Summary(accuracy, manifest.Tolerance) + (zeroConfig ? $" on {DefaultGate.SampleCount} synthetic inputs" : ""))
            + (choice.IsFallback ? "; " + runtimeLine : ""); // generated code is the norm: its line is a progress line only

        // Written last in the list, so a hash never vouches for outputs that failed to be written.
        files.Add((stem + ".summary", Encoding.UTF8.GetBytes(string.Join("\n", [hash, summary, .. warnings]) + "\n")));
        var changed = OutputFiles.WriteAll(files, streamed);
        stagedOnnx.Finish(stem + ".compressed.onnx");
        if (request.CacheDirectory is { Length: > 0 } cacheDirectory)
        {
            OutputCache.Store(cacheDirectory, request.ClassName, hash, files, [.. streamed.Select(s => s.Item1)]);
        }

        return new CompressionResult(stem + ".mbplan", stem + ".weights.mbw", stem + ".compressed.onnx", stem + ".report.md",
            originalBytes, blobLength, changed, summary) { Warnings = warnings, Runtime = choice.RuntimeName };
    }

    /// <summary>The model as shipped: the .onnx file plus every external data file its weights are read from.</summary>
    private static long ModelBytes(string modelPath, Graph.ModelGraph graph) =>
        new FileInfo(modelPath).Length + graph.Initializers.Select(t => t.External?.Path).OfType<string>().Distinct(StringComparer.Ordinal)
            .Sum(path => new FileInfo(path).Length);

    /// <summary>The manifest's <c>inputs</c>, overridden per input by the item's <c>InputShapes</c>.</summary>
    private static Dictionary<string, int[]> PinnedShapes(CompressionRequest request, CompressionManifest manifest)
    {
        var shapes = new Dictionary<string, int[]>(manifest.InputShapes ?? new Dictionary<string, int[]>(), StringComparer.Ordinal);
        foreach (var (name, dims) in InputPinning.Parse(request.InputShapes, request.ModelPath))
        {
            shapes[name] = dims;
        }

        return shapes;
    }

    /// <summary>
    /// The data files the result depends on, one absolute path per line: the build adds them to the compression
    /// target's Inputs, so editing calibration or validation data re-runs compression and the gate.
    /// </summary>
    /// <summary>
    /// &lt;Class&gt;.inputs: the files besides the model and manifest that the outputs depend on, one per line. The
    /// MSBuild target takes them as Inputs (so editing one reruns it), and the next run hashes the external-data ones
    /// before importing the model.
    /// </summary>
    private static string DataInputs(CompressionManifest manifest, IReadOnlyList<string> externalData) =>
        string.Concat(manifest.DataFiles().Concat(externalData).Select(f => f + "\n"));

    /// <summary>The model's external-data files, full paths, ordinal order.</summary>
    private static List<string> ExternalDataFiles(Graph.ModelGraph graph) =>
        graph.Initializers.Select(t => t.External?.Path).OfType<string>().Select(Path.GetFullPath)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The external-data files the last run listed in &lt;Class&gt;.inputs (its lines that are not manifest data files).</summary>
    private static List<string> ListedExternalData(string stem, CompressionManifest manifest)
    {
        var list = stem + ".inputs";
        if (!File.Exists(list))
        {
            return [];
        }

        var data = manifest.DataFiles().ToHashSet(StringComparer.Ordinal);
        return File.ReadAllLines(list).Where(line => line.Length > 0 && !data.Contains(line))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The previous result, when its content hash matches and all its outputs are still there.</summary>
    private static CompressionResult? UpToDate(string stem, string hash, string note)
    {
        var summaryFile = stem + ".summary";
        string[] outputs = [stem + ".mbplan", stem + ".weights.mbw", stem + ".compressed.onnx", stem + ".report.md", stem + ".report.html", stem + ".runtime"];
        if (!File.Exists(summaryFile) || !outputs.All(File.Exists))
        {
            return null;
        }

        var lines = File.ReadAllLines(summaryFile);
        if (lines.Length < 2 || lines[0] != hash)
        {
            return null;
        }

        return new CompressionResult(outputs[0], outputs[1], outputs[2], outputs[3], 0, new FileInfo(outputs[1]).Length, [], lines[1] + note)
        {
            Warnings = lines.Skip(2).Where(l => l.Length > 0).ToList(),
            Runtime = File.ReadAllText(outputs[5]).Trim(),
        };
    }

}
