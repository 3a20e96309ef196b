namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The test assembly's entry point (the test SDK's generated one is off): the test host never calls it; a test that
/// needs the kernels in a fresh process with its own runtime settings starts this assembly with <c>dotnet exec</c>.
/// </summary>
public static class Program
{
    /// <summary><c>pgo-workload seconds</c>: <see cref="PgoProbeWorkload"/>. Returns 2 for anything else.</summary>
    public static int Main(string[] args)
    {
        if (args is ["pgo-workload", var seconds])
        {
            PgoProbeWorkload.Run(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
            return 0;
        }

        Console.Error.WriteLine("usage: dotnet exec ModelBuild.Runtime.Tests.dll pgo-workload <seconds>");
        return 2;
    }
}
