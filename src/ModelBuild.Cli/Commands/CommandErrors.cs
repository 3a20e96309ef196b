using System.CommandLine;

namespace ModelBuild.Cli.Commands;

/// <summary>Runs a command body and turns a <see cref="ModelBuildException"/> into the canonical error line and exit code 1.</summary>
internal static class CommandErrors
{
    /// <param name="parseResult">The parsed command line.</param>
    /// <param name="body">The command.</param>
    /// <param name="file">The file errors are reported against (the model), when the command has one.</param>
    public static int Guard(ParseResult parseResult, Func<TextWriter, int> body, string? file = null)
    {
        try
        {
            return body(parseResult.InvocationConfiguration.Output);
        }
        catch (ModelBuildException e)
        {
            // `file: error MB####: message` is what MSBuild and editors recognise as a located, coded error.
            parseResult.InvocationConfiguration.Error.WriteLine(e.ToCanonicalString());
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            parseResult.InvocationConfiguration.Error.WriteLine($"{file ?? "ModelBuild"}: error MB0006: {e.Message}");
            return 1;
        }
        catch (Exception e) when (OnnxRuntimeNative.IsMissing(e))
        {
            parseResult.InvocationConfiguration.Error.WriteLine(OnnxRuntimeNative.Message(file, e));
            return 1;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug of ours, not bad input: still a located, coded error (never the task's "exited without reporting"),
            // with what a bug report needs on one line.
            var where = e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("ModelBuild.", StringComparison.Ordinal))?.Trim() ?? "";
            parseResult.InvocationConfiguration.Error.WriteLine(
                $"{file ?? "ModelBuild"}: error MB0009: internal error {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")} ({where}). "
                + "This is a ModelBuild bug; please report it with the model if you can.");
            return 1;
        }
    }
}
