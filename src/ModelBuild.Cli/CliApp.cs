using System.CommandLine;
using ModelBuild.Cli.Commands;

namespace ModelBuild.Cli;

/// <summary>Builds the command tree and runs it; tests call <see cref="Run"/> in-process with their own writers.</summary>
public static class CliApp
{
    /// <summary>The root command. Add a command by writing <c>Commands/XCommand.cs</c> with a static <c>Create()</c> and listing it here.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("ModelBuild: inspect, compress and evaluate ONNX models.");
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(CompressCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        using var invariant = InvariantCultureScope.Enter();
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
        };
        return CreateRootCommand().Parse(args).Invoke(configuration);
    }
}
