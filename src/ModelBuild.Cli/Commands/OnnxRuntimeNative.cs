using System.Runtime.InteropServices;

namespace ModelBuild.Cli.Commands;

/// <summary>
/// Recognises a failure to load ONNX Runtime's native library (the worker carries it for the hosts ONNX Runtime
/// publishes) and says so as MB0010 instead of an internal error.
/// </summary>
internal static class OnnxRuntimeNative
{
    /// <summary>The host RIDs whose native library the worker carries (ONNX Runtime 1.31 publishes no osx-x64 build).</summary>
    public static readonly IReadOnlyList<string> CarriedRids = ["linux-arm64", "linux-x64", "osx-arm64", "win-arm64", "win-x64"];

    /// <summary>Whether <paramref name="e"/> (or an exception inside it) is the native library failing to load.</summary>
    public static bool IsMissing(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is DllNotFoundException || (x is EntryPointNotFoundException && x.Message.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The MB0010 line for <paramref name="file"/>.</summary>
    public static string Message(string? file, Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is not DllNotFoundException)
        {
            inner = inner.InnerException;
        }

        // .NET's message lists every path it probed; its first sentence is what the user needs.
        var reason = inner.Message.ReplaceLineEndings(" ");
        var stop = reason.IndexOf(". ", StringComparison.Ordinal);
        reason = stop > 0 ? reason[..(stop + 1)] : reason;
        return $"{file ?? "ModelBuild"}: error MB0010: ONNX Runtime's native library could not be loaded on this build host "
            + $"({RuntimeInformation.RuntimeIdentifier}, {RuntimeInformation.OSDescription.Trim()}): {reason} "
            + $"The build checks every generated predictor against ONNX Runtime, so it needs ONNX Runtime's native library; "
            + $"the ModelBuild package carries it for {string.Join(", ", CarriedRids)} (ONNX Runtime publishes no other desktop build). "
            + "Build on one of those hosts, or install ONNX Runtime for this one where the loader finds it (e.g. LD_LIBRARY_PATH or PATH).";
    }
}
