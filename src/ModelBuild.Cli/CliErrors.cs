namespace ModelBuild.Cli;

/// <summary>Turns failures into canonical MSBuild error lines on stderr and an exit code.</summary>
internal static class CliErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (ModelBuildException e)
        {
            Console.Error.WriteLine(e.ToCanonicalString());
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"ModelBuild: error MB0006: {e.Message}");
            return 1;
        }
    }
}
