using System.CommandLine;

namespace ModelBuild.Cli.Commands;

/// <summary>Runs a command body and turns a <see cref="ModelBuildException"/> into the canonical error line and exit code 1.</summary>
internal static class CommandErrors
{
    public static int Guard(ParseResult parseResult, Func<TextWriter, int> body)
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
            parseResult.InvocationConfiguration.Error.WriteLine($"ModelBuild: error MB0006: {e.Message}");
            return 1;
        }
    }
}
