using System.Diagnostics;
using System.Text;

namespace ModelBuild.IntegrationTests;

/// <summary>Runs the <c>dotnet</c> CLI as a user would and captures everything it prints.</summary>
internal static class DotNet
{
    public sealed record Result(int ExitCode, string Output)
    {
        public bool Succeeded => ExitCode == 0;
    }

    private static readonly HashSet<string> s_msbuildVerbs = ["build", "msbuild", "pack", "publish"];

    public static Result Run(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        // One MSBuild node: the tests already run two builds side by side on the CI machine's two cores, and a second
        // node per build starts another runtime and evaluates every project again (~10 of a consumer build's ~24 CPU
        // seconds), which made the suite CPU-bound. What a build does is the same with one node.
        if (args.Length > 0 && s_msbuildVerbs.Contains(args[0]))
        {
            start.ArgumentList.Add("-m:1");
        }

        // Node reuse would keep a task DLL loaded across builds; tests must see fresh processes.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // The test host sets these for itself; a nested build must not inherit them.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in 10 minutes:\n{output}");
        }

        process.WaitForExit();
        return new Result(process.ExitCode, output.ToString());
    }
}
