using System.Diagnostics;

namespace ModelBuild.Cli.Tests;

/// <summary>
/// A build host without ONNX Runtime's native library (a platform ONNX Runtime does not publish, or a damaged
/// install): the worker says MB0010 with the host and what needs ONNX Runtime, never MB0009 or a silent exit.
/// </summary>
public sealed class MissingOnnxRuntimeTests : IDisposable
{
    private readonly TempDir _worker = new();
    private readonly TempDir _out = new();

    public MissingOnnxRuntimeTests()
    {
        // The worker as built, minus the native library (the test assembly's folder holds the worker's files).
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory))
        {
            if (!Path.GetFileName(file).Contains("onnxruntime", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".dll", StringComparison.Ordinal))
            {
                File.Copy(file, _worker.File(Path.GetFileName(file)));
            }
        }

        Assert.True(File.Exists(_worker.File("modelbuild.dll")), "the worker is not beside the tests");
        Assert.Empty(Directory.GetFiles(_worker.Path, "libonnxruntime*"));
    }

    public void Dispose()
    {
        _worker.Dispose();
        _out.Dispose();
    }

    private (int Code, string Output, string Error) RunWorker(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(_worker.File("modelbuild.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    [Fact]
    public void Eval_without_the_native_library_is_MB0010_naming_the_host()
    {
        var model = TestPaths.Model("mnist-8.onnx");
        var (code, _, error) = RunWorker("eval", model, "--data", Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte.gz"), "--count", "4");

        Assert.Equal(1, code);
        Assert.Contains($"{model}: error MB0010: ONNX Runtime's native library could not be loaded on this build host ({System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}", error);
        Assert.Contains("the ModelBuild package carries it for linux-arm64, linux-x64, osx-arm64, win-arm64, win-x64", error);
        Assert.DoesNotContain("cannot open shared object file", error); // the loader's probe list is noise here
        Assert.DoesNotContain("MB0009", error);
    }

    [Fact]
    public void Compress_that_checks_itself_with_onnx_runtime_is_MB0010()
    {
        var (code, _, error) = RunWorker("compress", TestPaths.Model("mnist_mlp_256.onnx"), "--out", _out.Path, "--class", "M");

        Assert.Equal(1, code);
        Assert.Contains("error MB0010", error);
        Assert.Empty(Directory.GetFiles(_out.Path)); // nothing half-written
    }
}
