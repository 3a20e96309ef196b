using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Manifest;

/// <summary>Turns the JSON tree into a <see cref="CompressionManifest"/>, rejecting unknown keys and bad values.</summary>
/// <remarks>
/// Passes are looked up in <see cref="PassReaders"/>, one entry per pass name, so a new pass is one reader method
/// and one table row; the error for an unknown pass lists the table's keys.
/// </remarks>
internal static partial class ManifestReader
{
    private static readonly string[] TopLevelKeys = ["$schema", "budget", "calibration", "candidates", "description", "inputs", "mode", "nonFinite", "passes", "target", "tolerance", "validation", "version"];
    private static readonly string[] ValidationKeys = ["count", "format", "images", "labels", "metric", "offset", "preprocessing", "sampleShape"];
    private static readonly IReadOnlyList<(string Name, ValidationMetric Value)> Metrics =
        [("agreement", ValidationMetric.Agreement), ("cosine", ValidationMetric.Cosine), ("maxAbs", ValidationMetric.MaxAbs), ("sqnr", ValidationMetric.Sqnr), ("top1", ValidationMetric.Top1)];
    private static readonly string[] CalibrationKeys = ["count", "format", "images", "labels", "offset", "preprocessing", "sampleShape"];

    private static readonly IReadOnlyDictionary<string, Func<JsonObject, string, PassSpec>> PassReaders = CreatePassReaders();

    private static SortedDictionary<string, Func<JsonObject, string, PassSpec>> CreatePassReaders()
    {
        var table = new SortedDictionary<string, Func<JsonObject, string, PassSpec>>(StringComparer.Ordinal)
        {
            [QuantizeSpec.PassName] = ReadQuantize,
        };

        // Each pass family registers its readers in its own file (ManifestReader.<Family>.cs).
        RegisterPruning(table);
        RegisterQuantization(table);
        RegisterLowRank(table);
        RegisterStorage(table);
        RegisterActivations(table);
        RegisterActivationScaling(table);
        return table;
    }

    static partial void RegisterPruning(IDictionary<string, Func<JsonObject, string, PassSpec>> table);

    static partial void RegisterQuantization(IDictionary<string, Func<JsonObject, string, PassSpec>> table);

    static partial void RegisterLowRank(IDictionary<string, Func<JsonObject, string, PassSpec>> table);

    static partial void RegisterStorage(IDictionary<string, Func<JsonObject, string, PassSpec>> table);

    static partial void RegisterActivations(IDictionary<string, Func<JsonObject, string, PassSpec>> table);
    static partial void RegisterActivationScaling(IDictionary<string, Func<JsonObject, string, PassSpec>> table);

    public static CompressionManifest Read(JsonNode root, string path)
    {
        var obj = root as JsonObject ?? throw BadValue(path, root, $"the manifest must be a JSON object, not {root.Kind}");
        CheckKeys(obj, TopLevelKeys, path, "at the top level of the manifest");

        if (Find(obj, "version") is { } version
            && (version is not JsonNumber n || n.Value != CompressionManifest.CurrentVersion || n.Text.Contains('.') || n.Text.Contains('e', StringComparison.OrdinalIgnoreCase)))
        {
            throw BadValue(path, version, $"'version' must be {CompressionManifest.CurrentVersion}, not {Show(version)}; this ModelBuild reads manifest version {CompressionManifest.CurrentVersion}");
        }

        if (Find(obj, "$schema") is { } schema and not JsonString)
        {
            throw BadValue(path, schema, $"'$schema' must be a string, not {schema.Kind}");
        }

        string? description = null;
        if (Find(obj, "description") is { } desc)
        {
            description = (desc as JsonString)?.Value ?? throw BadValue(path, desc, $"'description' must be a string, not {desc.Kind}");
        }

        var auto = ReadAuto(obj, path);
        var passList = new List<PassSpec>();
        if (Find(obj, "passes") is { } passesNode)
        {
            if (passesNode is not JsonArray passes)
            {
                throw BadValue(path, passesNode, $"'passes' must be a list of passes, not {passesNode.Kind}");
            }

            // An empty list is allowed: the weights are embedded as exact float32 (a baseline, or a model too small to bother).
            passList.AddRange(passes.Items.Select(p => ReadPass(p, path)));
        }
        else if (auto is null)
        {
            throw BadValue(path, obj, "the manifest has no 'passes' list; add e.g. \"passes\": [{ \"quantize\": {} }]");
        }

        var validation = Find(obj, "validation") is { } v ? ReadValidation(v, path) : null;
        var tolerance = Find(obj, "tolerance") is { } t ? ReadTolerance(t, validation, path) : null;
        if (auto is not null && auto.MaxBytes is null && tolerance is null)
        {
            throw BadValue(path, Find(obj, "mode")!, "\"mode\": \"auto\" needs a 'tolerance' (smallest model within it) or a 'budget' (most accurate model within it)");
        }

        return new CompressionManifest(passList, description, path)
        {
            Auto = auto,
            Calibration = Find(obj, "calibration") is { } calibration ? ReadDataset(calibration, path, "calibration") : null,
            Validation = validation,
            Tolerance = tolerance,
            InputShapes = Find(obj, "inputs") is { } inputs ? ReadInputs(inputs, path) : null,
            NonFinite = ReadEnum(obj, "nonFinite", [("error", NonFinitePolicy.Error), ("keep", NonFinitePolicy.Keep)], NonFinitePolicy.Error, path),
        };
    }

    /// <summary>A file path value: a NUL character cannot be in any file name, and would break every path API later.</summary>
    private static string? ReadPath(JsonObject obj, string key, string path)
    {
        var value = ReadString(obj, key, path);
        if (value is not null && (value.Length == 0 || value.Contains('\0', StringComparison.Ordinal)))
        {
            throw BadValue(path, Find(obj, key)!, $"'{key}' must name a file; {(value.Length == 0 ? "it is empty" : "it contains a NUL character (\\u0000)")}");
        }

        return value;
    }

    private static PassSpec ReadPass(JsonNode node, string path)
    {
        var known = string.Join(", ", PassReaders.Keys);
        if (node is not JsonObject pass || pass.Properties.Count != 1)
        {
            throw BadValue(path, node, $"each pass must be an object with exactly one key naming the pass ({known}), e.g. {{ \"quantize\": {{}} }}");
        }

        var property = pass.Properties[0];
        if (!PassReaders.TryGetValue(property.Key, out var reader))
        {
            throw new ModelBuildException("MB2002", path, $"unknown pass '{property.Key}'; known passes: {known}.", property.Line, property.Column);
        }

        var settings = property.Value as JsonObject
            ?? throw BadValue(path, property.Value, $"the settings of '{property.Key}' must be an object, not {property.Value.Kind}");
        return reader(settings, path);
    }

    private static Auto.AutoSpec? ReadAuto(JsonObject obj, string path)
    {
        var mode = ReadString(obj, "mode", path) ?? "manual";
        if (mode is not ("manual" or "auto"))
        {
            throw BadValue(path, Find(obj, "mode")!, $"'mode' must be \"manual\" or \"auto\", not \"{mode}\"");
        }

        if (mode == "manual")
        {
            foreach (var key in new[] { "budget", "candidates", "target" })
            {
                if (Find(obj, key) is { } stray)
                {
                    throw BadValue(path, stray, $"'{key}' only applies with \"mode\": \"auto\"");
                }
            }

            return null;
        }

        if (ReadString(obj, "target", path) is { } target && target != "smallest")
        {
            throw BadValue(path, Find(obj, "target")!, $"'target' must be \"smallest\" (use 'budget' for a size limit), not \"{target}\"");
        }

        long? maxBytes = null;
        var maxSeconds = Auto.AutoSpec.DefaultMaxSeconds;
        if (Find(obj, "budget") is { } budgetNode)
        {
            var budget = budgetNode as JsonObject ?? throw BadValue(path, budgetNode, "'budget' must be an object like { \"maxBytes\": 100000, \"maxSeconds\": 300 }");
            CheckKeys(budget, ["maxBytes", "maxSeconds"], path, "in 'budget'");
            maxBytes = Find(budget, "maxBytes") is null ? null : (long)ReadNumber(budget, "maxBytes", 0, 1, 1e12, path);
            maxSeconds = ReadNumber(budget, "maxSeconds", maxSeconds, 0.001, 1e6, path);
        }

        var candidates = Auto.AutoSpec.DefaultCandidates;
        if (Find(obj, "candidates") is { } list)
        {
            candidates = list is JsonArray a && a.Items.Count > 0 && a.Items.All(i => i is JsonString s && Auto.AutoCandidate.Parse(s.Value) is not null)
                ? a.Items.Select(i => Auto.AutoCandidate.Parse(((JsonString)i).Value)!).Distinct().ToList()
                : throw BadValue(path, list, "'candidates' must list settings like \"int8\" … \"int2\" (one scale per channel), \"int2-g64\" (one scale per 64 inputs), \"int3-gptq\", \"pal3\" (8-value palette) or \"p90-pal4\" (prune 90 %, then a palette)");
        }

        return new Auto.AutoSpec(candidates, maxBytes) { MaxSeconds = maxSeconds };
    }

    private static ValidationSpec ReadValidation(JsonNode node, string path)
    {
        var obj = node as JsonObject ?? throw BadValue(path, node, $"'validation' must be an object, not {node.Kind}");
        CheckKeys(obj, ValidationKeys, path, "in 'validation'");
        var metric = ReadEnum(obj, "metric", Metrics, ValidationMetric.Agreement, path);
        var data = ReadDataset(new JsonObject(obj.Properties.Where(p => p.Key != "metric").ToList(), obj.Line, obj.Column), path, "validation");
        if (data.Format == "synthetic" && data.SampleShape is null)
        {
            throw BadValue(path, obj, "synthetic data needs \"sampleShape\", e.g. [32, 32, 3]");
        }

        if (metric == ValidationMetric.Top1 && data.Labels is null)
        {
            throw BadValue(path, Find(obj, "metric")!, "the metric \"top1\" needs \"labels\" in 'validation'; without labels use \"agreement\"");
        }

        return new ValidationSpec(data, metric);
    }

    private static ToleranceSpec ReadTolerance(JsonNode node, ValidationSpec? validation, string path)
    {
        var obj = node as JsonObject ?? throw BadValue(path, node, $"'tolerance' must be an object, not {node.Kind}");
        CheckKeys(obj, ToleranceSpec.Keys, path, "in 'tolerance'");
        if (obj.Properties.Count != 1)
        {
            throw BadValue(path, obj, $"'tolerance' must hold exactly one bound ({string.Join(", ", ToleranceSpec.Keys)})");
        }

        var key = obj.Properties[0].Key;
        var value = ReadNumber(obj, key, 0, key == "minSqnrDb" ? -1000 : 0, key is "minSqnrDb" or "maxAbsDiff" ? 1e9 : 1, path);
        var tolerance = new ToleranceSpec(key, value);
        if (validation is null)
        {
            throw BadValue(path, obj, "'tolerance' needs a 'validation' section with the data to measure on");
        }

        if (tolerance.Metric == ValidationMetric.Top1 && validation.Data.Labels is null)
        {
            throw BadValue(path, obj, "'maxAccuracyDrop' needs \"labels\" in 'validation'");
        }

        return tolerance;
    }

    /// <summary>A data section (<c>calibration</c>): files relative to the manifest, formats an <see cref="Contracts.IDatasetLoader"/> reads.</summary>
    internal static DatasetSection ReadDataset(JsonNode node, string path, string section)
    {
        var obj = node as JsonObject ?? throw BadValue(path, node, $"'{section}' must be an object, not {node.Kind}");
        CheckKeys(obj, CalibrationKeys, path, $"in '{section}'");
        var images = ReadPath(obj, "images", path) ?? throw BadValue(path, obj, $"'{section}' needs \"images\": the data file");
        var format = ReadString(obj, "format", path) ?? "idx";
        if (format is not ("idx" or "npy" or "raw" or "synthetic"))
        {
            throw BadValue(path, Find(obj, "format")!, $"'format' must be \"idx\", \"npy\", \"raw\" or \"synthetic\", not \"{format}\"");
        }

        int[]? sampleShape = null;
        if (Find(obj, "sampleShape") is { } shapeNode)
        {
            sampleShape = shapeNode is JsonArray a && a.Items.All(i => i is JsonNumber { Value: >= 1 and <= 1e6 })
                ? a.Items.Select(i => (int)((JsonNumber)i).Value).ToArray()
                : throw BadValue(path, shapeNode, $"'sampleShape' must be a list of positive whole numbers, not {Show(shapeNode)}");
        }

        return new DatasetSection
        {
            Images = images,
            Labels = ReadPath(obj, "labels", path),
            Format = format,
            Preprocessing = ReadString(obj, "preprocessing", path),
            Count = Find(obj, "count") is null ? null : ReadInt(obj, "count", 256, 1, 1_000_000, path),
            Offset = ReadInt(obj, "offset", 0, 0, 100_000_000, path),
            SampleShape = sampleShape,
            SourceFile = path,
        };
    }

    internal static T ReadEnum<T>(JsonObject obj, string key, IReadOnlyList<(string Name, T Value)> allowed, T fallback, string path)
    {
        if (Find(obj, key) is not { } node)
        {
            return fallback;
        }

        if (node is JsonString s && allowed.FirstOrDefault(a => a.Name == s.Value) is { Name: not null } match)
        {
            return match.Value;
        }

        var names = string.Join(", ", allowed.Select(a => $"\"{a.Name}\""));
        throw BadValue(path, node, $"'{key}' must be one of {names}, not {Show(node)}");
    }

    /// <summary>Rejects keys outside <paramref name="allowed"/> (MB2002) and repeated keys (MB2003).</summary>
    internal static void CheckKeys(JsonObject obj, string[] allowed, string path, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in obj.Properties)
        {
            if (Array.IndexOf(allowed, property.Key) < 0)
            {
                throw new ModelBuildException("MB2002", path,
                    $"unknown key '{property.Key}' {where}; allowed keys: {string.Join(", ", allowed)}.", property.Line, property.Column);
            }

            if (!seen.Add(property.Key))
            {
                throw new ModelBuildException("MB2003", path, $"the key '{property.Key}' appears twice {where}; keep one.", property.Line, property.Column);
            }
        }
    }

    internal static JsonNode? Find(JsonObject obj, string key) => obj.Properties.FirstOrDefault(p => p.Key == key)?.Value;

    internal static string Show(JsonNode node) => node switch
    {
        JsonString s => $"\"{s.Value}\"",
        JsonNumber n => n.Text,
        JsonBool b => b.Value ? "true" : "false",
        _ => node.Kind,
    };

    internal static ModelBuildException BadValue(string path, JsonNode node, string reason) =>
        new("MB2003", path, reason + ".", node.Line, node.Column);

    /// <summary>An optional number in [<paramref name="min"/>, <paramref name="max"/>] (MB2003 otherwise).</summary>
    internal static double ReadNumber(JsonObject obj, string key, double fallback, double min, double max, string path)
    {
        if (Find(obj, key) is not { } node)
        {
            return fallback;
        }

        if (node is JsonNumber n && n.Value >= min && n.Value <= max)
        {
            return n.Value;
        }

        throw BadValue(path, node, $"'{key}' must be a number from {min} to {max}, not {Show(node)}");
    }

    /// <summary>An optional integer in [<paramref name="min"/>, <paramref name="max"/>] (MB2003 otherwise).</summary>
    internal static int ReadInt(JsonObject obj, string key, int fallback, int min, int max, string path)
    {
        if (Find(obj, key) is not { } node)
        {
            return fallback;
        }

        if (node is JsonNumber n && n.Value >= min && n.Value <= max && n.Value == Math.Floor(n.Value))
        {
            return (int)n.Value;
        }

        throw BadValue(path, node, $"'{key}' must be a whole number from {min} to {max}, not {Show(node)}");
    }

    internal static bool ReadBool(JsonObject obj, string key, bool fallback, string path) =>
        Find(obj, key) is not { } node ? fallback
            : (node as JsonBool)?.Value ?? throw BadValue(path, node, $"'{key}' must be true or false, not {Show(node)}");

    internal static string? ReadString(JsonObject obj, string key, string path) =>
        Find(obj, key) is not { } node ? null
            : (node as JsonString)?.Value ?? throw BadValue(path, node, $"'{key}' must be a string, not {Show(node)}");

    /// <summary>An optional list of strings (e.g. exclusions).</summary>
    internal static IReadOnlyList<string> ReadStrings(JsonObject obj, string key, string path)
    {
        if (Find(obj, key) is not { } node)
        {
            return [];
        }

        if (node is JsonArray list && list.Items.All(i => i is JsonString))
        {
            return list.Items.Select(i => ((JsonString)i).Value).ToList();
        }

        throw BadValue(path, node, $"'{key}' must be a list of strings, not {Show(node)}");
    }
}
