using System.Diagnostics.CodeAnalysis;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ModelBuild.Tasks;

/// <summary>
/// Compresses one ONNX model by running the ModelBuild worker (<c>modelbuild compress</c>) in its own process.
/// </summary>
/// <remarks>
/// Out of process on purpose: ONNX Runtime's native library and the compression passes' memory stay out of the
/// long-lived MSBuild node, a rebuilt worker is always picked up (no stale task under node reuse), and the CLI and
/// the build share one code path. The worker prints canonical MSBuild lines (<c>file(l,c): error MB####: ...</c>),
/// which <see cref="ToolTask"/> turns into coded, file-located errors.
/// </remarks>
public sealed class CompressOnnxModel : ToolTask
{
    /// <summary>The ONNX model file.</summary>
    [Required, NotNull]
    public string? Model { get; set; }

    /// <summary>The compression manifest (JSON); empty for the default (int8 per-channel symmetric).</summary>
    public string? Manifest { get; set; }

    [Required, NotNull]
    public string? ClassName { get; set; }

    /// <summary>Pinned input dims (<c>x=1,3,48,?</c>), from the OnnxModel item's <c>InputShapes</c> metadata.</summary>
    public string? InputShapes { get; set; }

    public string? Namespace { get; set; }

    /// <summary>Folder for the plan, weights, compressed model and report (under obj/).</summary>
    [Required, NotNull]
    public string? OutputDirectory { get; set; }

    /// <summary>The manifest-resource name the weights are embedded under.</summary>
    [Required, NotNull]
    public string? ResourceName { get; set; }

    /// <summary>Path of the worker assembly (<c>modelbuild.dll</c>).</summary>
    [Required, NotNull]
    public string? WorkerAssembly { get; set; }

    /// <summary>The <c>dotnet</c> host that runs the worker; defaults to the one running this build.</summary>
    public string? DotNetHost { get; set; }

    /// <summary>The content-addressed output cache shared by configurations and RIDs; empty = no cache.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Compress even when the outputs or the cache hold a result for the same inputs (ModelBuild_ForceCompress).</summary>
    public bool Force { get; set; }

    /// <summary>The item's <c>Runtime</c> metadata: Auto (default), Generated or OnnxRuntime.</summary>
    public string? Runtime { get; set; }

    /// <summary>The item's <c>Generate</c> metadata; false = no class, so an uncovered operator is no error.</summary>
    public bool Generate { get; set; } = true;

    protected override string ToolName => "dotnet";

    // The worker's progress lines, its one-line summary and the report path are the user's only sign of life during
    // long passes and the answer to "how did it go": High, so the default (minimal) verbosity and the terminal
    // logger show them. The worker prints them only when it compresses, so a no-op build stays quiet.
    protected override MessageImportance StandardOutputLoggingImportance => MessageImportance.High;

    protected override MessageImportance StandardErrorLoggingImportance => MessageImportance.High;

    protected override string GenerateFullPathToTool() =>
        !string.IsNullOrEmpty(DotNetHost) ? DotNetHost! : DotNetHostLocator.Find();

    protected override bool ValidateParameters()
    {
        // Report every problem at once, each with its code, rather than stopping at the first.
        var ok = true;
        if (!File.Exists(Model))
        {
            Log.LogError(null, "MB1001", null, Model, 0, 0, 0, 0,
                "The ONNX model '{0}' does not exist. Check the Include path of the <OnnxModel> item.", Model);
            ok = false;
        }

        if (!string.IsNullOrEmpty(Manifest) && !File.Exists(Manifest))
        {
            Log.LogError(null, "MB2004", null, Manifest, 0, 0, 0, 0,
                "The compression manifest '{0}' does not exist. Fix the Manifest metadata of the <OnnxModel> item for '{1}', or remove it to use the default (int8 per-channel).",
                Manifest, Model);
            ok = false;
        }

        if (!File.Exists(WorkerAssembly))
        {
            Log.LogError(null, "MB0002", null, WorkerAssembly, 0, 0, 0, 0,
                "The ModelBuild worker '{0}' is missing; the ModelBuild package looks incomplete. Restore the package again or set ModelBuild_WorkerAssembly.", WorkerAssembly);
            ok = false;
        }

        if (!IsIdentifier(ClassName))
        {
            Log.LogError(null, "MB0003", null, Model, 0, 0, 0, 0,
                "ClassName '{0}' is not a valid C# identifier. Set the ClassName metadata of the <OnnxModel> item.", ClassName);
            ok = false;
        }

        return ok;
    }

    protected override string GenerateCommandLineCommands()
    {
        var args = new CommandLineBuilder();
        args.AppendFileNameIfNotNull(WorkerAssembly);
        args.AppendSwitch("compress");
        args.AppendFileNameIfNotNull(Model);
        args.AppendSwitchIfNotNull("--manifest ", string.IsNullOrEmpty(Manifest) ? null : Manifest);
        args.AppendSwitchIfNotNull("--out ", OutputDirectory);
        args.AppendSwitchIfNotNull("--class ", ClassName);
        args.AppendSwitchIfNotNull("--namespace ", Namespace ?? string.Empty);
        args.AppendSwitchIfNotNull("--resource ", ResourceName);
        args.AppendSwitchIfNotNull("--input-shapes ", string.IsNullOrEmpty(InputShapes) ? null : InputShapes);
        args.AppendSwitchIfNotNull("--cache ", string.IsNullOrEmpty(CacheDirectory) ? null : CacheDirectory);
        if (Force)
        {
            args.AppendSwitch("--force");
        }

        args.AppendSwitchIfNotNull("--runtime ", string.IsNullOrEmpty(Runtime) ? null : Runtime);
        if (!Generate)
        {
            args.AppendSwitch("--no-generate");
        }

        args.AppendSwitch("--msbuild");
        return args.ToString();
    }

    protected override void LogToolCommand(string message) =>
        Log.LogMessage(MessageImportance.Low, "ModelBuild: {0}", message);

    protected override bool HandleTaskExecutionErrors()
    {
        // The worker has already printed coded errors; only add a generic one when it printed none.
        if (Log.HasLoggedErrors)
        {
            return false;
        }

        Log.LogError(null, "MB0004", null, Model, 0, 0, 0, 0,
            "The ModelBuild worker exited with code {0} without reporting an error. Re-run with -v:detailed to see its output.", ExitCode);
        return false;
    }

    private static bool IsIdentifier(string? name)
    {
        if (string.IsNullOrEmpty(name) || !(char.IsLetter(name![0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
