using System.Diagnostics;

namespace ModelBuild.Tasks;

/// <summary>Finds the <c>dotnet</c> executable that should run the worker.</summary>
internal static class DotNetHostLocator
{
    public static string Find()
    {
        // The SDK sets DOTNET_HOST_PATH for tasks that start tools; it is the host running this very build.
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        var current = Process.GetCurrentProcess().MainModule?.FileName;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        return OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
    }
}
