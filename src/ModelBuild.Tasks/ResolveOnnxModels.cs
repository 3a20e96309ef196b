using System.Diagnostics.CodeAnalysis;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ModelBuild.Tasks;

/// <summary>
/// Applies the defaults of each <c>OnnxModel</c> item (class name, namespace, output folder) and computes the
/// paths of its outputs, so the compression target can declare exact Inputs and Outputs per model.
/// </summary>
public sealed class ResolveOnnxModels : Microsoft.Build.Utilities.Task
{
    [Required, NotNull]
    public ITaskItem[]? Models { get; set; }

    /// <summary>Full path of the project's intermediate folder (obj/Debug/net10.0/).</summary>
    [Required, NotNull]
    public string? IntermediateDirectory { get; set; }

    [Required, NotNull]
    public string? ProjectDirectory { get; set; }

    public string? RootNamespace { get; set; }

    /// <summary>The ModelBuild version; part of the stamp name so that a package upgrade re-runs compression.</summary>
    public string? Version { get; set; }

    /// <summary>The items with every metadatum the compression target needs.</summary>
    [Output]
    public ITaskItem[] Resolved { get; private set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        var resolved = new List<ITaskItem>();
        var classes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var model in Models)
        {
            var fullPath = model.GetMetadata("FullPath");
            WarnAboutUnknownMetadata(model, fullPath);
            var className = Metadata(model, "ClassName") ?? ClassNames.FromFileStem(Path.GetFileNameWithoutExtension(fullPath));
            var ns = Metadata(model, "Namespace") ?? RootNamespace ?? string.Empty;
            var key = ns + "." + className;
            if (classes.TryGetValue(key, out var other))
            {
                Log.LogError(null, "MB0005", null, fullPath, 0, 0, 0, 0,
                    "Models '{0}' and '{1}' would both generate class '{2}'. Set a distinct ClassName metadata on one of the <OnnxModel> items.",
                    other, fullPath, key.TrimStart('.'));
                continue;
            }

            classes[key] = fullPath;
            var outputDir = Metadata(model, "OutputDir") is { } custom
                ? Path.GetFullPath(Path.Combine(ProjectDirectory, custom))
                : Path.Combine(IntermediateDirectory, "modelbuild", className);
            outputDir = outputDir.TrimEnd('/', '\\') + Path.DirectorySeparatorChar;
            var manifest = Metadata(model, "Manifest") is { } m ? Path.GetFullPath(Path.Combine(ProjectDirectory, m)) : string.Empty;

            var item = new TaskItem(fullPath);
            model.CopyMetadataTo(item);
            item.SetMetadata("ClassName", className);
            item.SetMetadata("Namespace", ns);
            item.SetMetadata("OutputDir", outputDir);
            item.SetMetadata("ManifestFullPath", manifest);
            item.SetMetadata("PlanPath", outputDir + className + ".mbplan");
            item.SetMetadata("WeightsPath", outputDir + className + ".weights.mbw");
            item.SetMetadata("CompressedModelPath", outputDir + className + ".compressed.onnx");
            item.SetMetadata("ReportPath", outputDir + className + ".report.md");
            item.SetMetadata("RuntimePath", outputDir + className + ".runtime");
            var stampPath = outputDir + className + "." + (string.IsNullOrEmpty(Version) ? "dev" : Version) + ".stamp";
            var resourceName = "ModelBuild." + (ns.Length > 0 ? ns + "." : string.Empty) + className + ".weights.mbw";
            var runtime = Metadata(model, "Runtime") ?? "Auto";
            if (!s_runtimes.Contains(runtime))
            {
                Log.LogError(null, "MB0012", null, fullPath, 0, 0, 0, 0,
                    "Runtime=\"{0}\" on the <OnnxModel> item '{1}' is not a runtime ModelBuild knows. Use Auto (the default: generated code when it covers every node, otherwise ONNX Runtime through the ModelBuild.OnnxRuntime package), Generated or OnnxRuntime.",
                    runtime, model.ItemSpec);
                continue;
            }

            var generate = !string.Equals(Metadata(model, "Generate"), "false", StringComparison.OrdinalIgnoreCase);
            var stampText = StampText(fullPath, manifest, className, ns, resourceName, Metadata(model, "InputShapes") ?? "")
                + "|" + runtime.ToLowerInvariant() + (generate ? "" : "|nogenerate");
            DeleteStaleStamp(stampPath, stampText);
            item.SetMetadata("StampPath", stampPath);
            item.SetMetadata("StampText", stampText);
            item.SetMetadata("ResourceName", resourceName);
            item.SetMetadata("DataInputs", DataInputs(outputDir + className + ".inputs"));
            resolved.Add(item);
        }

        Resolved = resolved.ToArray();
        return !Log.HasLoggedErrors;
    }

    /// <summary>
    /// The calibration/validation files the last compression read (the worker lists them in &lt;Class&gt;.inputs), so
    /// that editing them makes the model out of date. Files that no longer exist are left out: a missing data file
    /// is the worker's error to report, with its code.
    /// </summary>
    private static string DataInputs(string listFile)
    {
        if (!File.Exists(listFile))
        {
            return string.Empty;
        }

        var files = File.ReadAllLines(listFile).Where(line => line.Length > 0 && File.Exists(line));
        return string.Join(";", files);
    }

    /// <summary>
    /// What the outputs were made for, written into the stamp. The project file is not an input of the compression
    /// target (an unrelated edit must not recompress), so a stamp left by other item settings (say, another
    /// Namespace) is deleted here and the model is looked at again.
    /// </summary>
    internal static string StampText(string model, string manifest, string className, string ns, string resourceName, string inputShapes = "") =>
        string.Join("|", model, manifest, className, ns, resourceName, inputShapes).Replace(";", "%3B", StringComparison.Ordinal);

    private void DeleteStaleStamp(string stampPath, string stampText)
    {
        try
        {
            if (File.Exists(stampPath) && File.ReadAllText(stampPath).Trim() != stampText)
            {
                File.Delete(stampPath);
            }
        }
        catch (IOException e)
        {
            Log.LogMessage(MessageImportance.Low, "ModelBuild: could not check {0}: {1}", stampPath, e.Message);
        }
    }

    /// <summary>The OnnxModel metadata ModelBuild reads (README, "The OnnxModel item").</summary>
    internal static readonly string[] KnownMetadata = ["ClassName", "Generate", "InputShapes", "Manifest", "Namespace", "OutputDir", "Runtime"];

    private static readonly HashSet<string> s_runtimes = new(StringComparer.OrdinalIgnoreCase) { "Auto", "Generated", "OnnxRuntime" };

    // Metadata that IDEs and common targets put on any item; not a typo of ours.
    private static readonly HashSet<string> s_commonMetadata = new(StringComparer.OrdinalIgnoreCase)
    {
        "Link", "Visible", "DependentUpon", "CopyToOutputDirectory", "CopyToPublishDirectory", "Pack", "PackagePath", "InProject", "SubType",
    };

    /// <summary>
    /// MB0007: metadata MSBuild would silently ignore, such as <c>Manfest=</c>, means the user's setting has no
    /// effect; say so, with the name they probably meant and the list of known names.
    /// </summary>
    private void WarnAboutUnknownMetadata(ITaskItem model, string fullPath)
    {
        foreach (var name in model.CloneCustomMetadata().Keys.Cast<string>().OrderBy(n => n, StringComparer.Ordinal))
        {
            if (KnownMetadata.Contains(name, StringComparer.OrdinalIgnoreCase) || s_commonMetadata.Contains(name))
            {
                continue;
            }

            var closest = KnownMetadata.OrderBy(k => Distance(k.ToLowerInvariant(), name.ToLowerInvariant())).First();
            var hint = Distance(closest.ToLowerInvariant(), name.ToLowerInvariant()) <= 3 ? $" Did you mean '{closest}'?" : string.Empty;
            Log.LogWarning(null, "MB0007", null, fullPath, 0, 0, 0, 0,
                "The <OnnxModel> item '{0}' has metadata '{1}', which ModelBuild does not read, so it has no effect.{2} Known metadata: {3}.",
                model.ItemSpec, name, hint, string.Join(", ", KnownMetadata));
        }
    }

    /// <summary>Levenshtein distance; names are short.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    private static string? Metadata(ITaskItem item, string name)
    {
        var value = item.GetMetadata(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
