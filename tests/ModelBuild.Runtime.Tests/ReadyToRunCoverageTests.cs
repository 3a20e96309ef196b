using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Cold start (issue 12): every method of ModelBuild.Runtime must be precompiled by ReadyToRun (src/ModelBuild.Runtime/
/// ReadyToRun.targets), or a process JIT-compiles it in its first prediction. crossgen2 silently leaves out a method it
/// cannot compile: one that calls a <em>generic</em> static virtual method (the pooling and blocked-Winograd kernels did,
/// ≈ 10 ms of squeezenet_cifar10's first prediction), that calls a non-inlined method passing a vector by value, or
/// that may throw a helper exception. This test compiles the assembly as the build does, with crossgen2's verbose log,
/// and fails on any left-out method not in the list below, each listed with the reason it stays left out.
/// </summary>
public sealed partial class ReadyToRunCoverageTests
{
    /// <summary>Method-name prefixes (namespace ModelBuild.Runtime dropped) that crossgen2 may leave to the JIT, and why.</summary>
    private static readonly (string Prefix, string Reason)[] KnownJitted =
    [
        // e^x and ln x are this assembly's own (VectorExp, VectorLog), so Exp, Sigmoid, Tanh, Erf/Gelu, the Elu family, Log,
        // Softplus, Mish and Softmax's sums compile; these still call CoreLib's vector maths, which takes vectors by value
        // across a call.
        ("Elementwise.Unary<RoundOperator>", "CoreLib's Vector256.Round with a MidpointRounding"),
        ("Elementwise.Unary<SinOperator>", "CoreLib's Vector256.Sin"),
        ("Elementwise.Unary<CosOperator>", "CoreLib's Vector256.Cos"),
        ("Int8Conv.", "[AggressiveOptimization] (8-bit activations only): crossgen2 skips such methods by design"),
        ("Int8ConvImage.", "[AggressiveOptimization] (8-bit activations only)"),
        ("Int8Loader.Load512", "AVX-512 code, outside x86-64-v3"),
        ("Int8AsymLoader.Load512", "AVX-512 code, outside x86-64-v3"),
        ("Simd.LoadInt8x16", "AVX-512 code, outside x86-64-v3"),
        ("DirectDense.LoadPair", "AVX-512 code, outside x86-64-v3"),
        ("DenseGemm.Tile8x2Zmm", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("BlockedWinograd.TileZmm", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("DenseBlocksZmm.", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("DenseBatch.Block4x4Zmm", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("DirectDense.PrefixRows4Zmm", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("DirectDense.Prefix3Rows4Zmm", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("DirectDense.Palette3Rows4Zmm", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("DirectDense.Blocks16", "AVX-512 code outside x86-64-v3 (inlined into the 512-bit 3-bit kernels)"),
        ("Table16GemvZmm.", "AVX-512 only: code outside x86-64-v3, [AggressiveOptimization] (Dots, DecodeRow) or calls passing a Vector512"),
        ("Tile48Zmm.", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("Tile8x48Zmm.", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("Tile8x16Zmm.", "AVX-512 only, [AggressiveOptimization] (Wide512)"),
        ("DirectDense.FixedRows4Vnni", "AVX-VNNI only, [AggressiveOptimization] (VnniSwitch): code outside x86-64-v3"),
        ("DirectDense.FixedPointPaletteVnni", "AVX-VNNI only, [AggressiveOptimization] (VnniSwitch)"),
        ("FixedPointGemm.TileVnni", "AVX-VNNI only, [AggressiveOptimization] (VnniSwitch)"),
        ("FixedPointGemv.Rows4Vnni", "AVX-VNNI only, [AggressiveOptimization] (VnniSwitch)"),
        ("FixedPointConv.RunVnni", "AVX-VNNI only, [AggressiveOptimization] (VnniSwitch)"),
        ("ZmmEpilogue.", "AVX-512 code, outside x86-64-v3 (inlined into the 512-bit conv tiles; Finish is [AggressiveOptimization])"),
        ("Kernels.StridedLines<", "Softmax over a non-last axis: calls a generic static virtual (ISoftmaxFinal.Finish); open item"),
        ("Kernels.SoftmaxFamily<__Canon>", "shared-generic form, never used (the value-type instantiations are compiled)"),
        ("Kernels.SoftmaxFamilyBody<__Canon>", "its body (inlined into it), likewise"),
        ("Kernels.CumSumScalar<", "CumSum: generic static virtual call; open item"),
        ("Ops.NumberComparison`1", "Max/Min on int64/float values through a generic static virtual; open item"),
        ("Ops.RangeOp.Execute", "Int128 division (its ABI is not stable across runtimes)"),
        ("WeightMatrix+Packed", "records' PrintMembers (ToString only)"),
        ("<PrivateImplementationDetails>", "compiler-generated inline-array helpers over shared generics"),
    ];

    [SkippableFact]
    public void Crossgen2_leaves_no_runtime_method_to_the_jit_but_the_known_ones()
    {
        var (crossgen2, assembly) = Inputs();
        var output = Directory.CreateTempSubdirectory("mb-r2r-").FullName;
        try
        {
            var start = new ProcessStartInfo(crossgen2) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[]
            {
                assembly, "-o", Path.Combine(output, "ModelBuild.Runtime.dll"), "-r", Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"),
                "--targetos:linux", "--targetarch:x64", "-O", "--instruction-set:x86-64-v3", "--opt-cross-module:*", "--non-local-generics-module:*", "--verbose",
            })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var log = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"crossgen2 exited {process.ExitCode}: {stderr.Result}");

            // Every line crossgen2 writes about a method of this assembly it left out must be one the pattern reads: a
            // line it could not parse would otherwise drop out of the check unseen.
            int leftOut = log.Split('\n').Count(l => l.Contains("Method `[ModelBuild.Runtime]", StringComparison.Ordinal) && l.Contains("` was not compiled because ", StringComparison.Ordinal));
            Assert.Equal(leftOut, NotCompiled().Matches(log).Count);

            var unexpected = NotCompiled().Matches(log)
                .Select(m => (Method: m.Groups["method"].Value, Reason: m.Groups["reason"].Value))
                .Where(m => !m.Reason.Contains("non version resilient signature", StringComparison.Ordinal)) // vector helpers: always inlined
                .Where(m => !KnownJitted.Any(k => m.Method.StartsWith(k.Prefix, StringComparison.Ordinal)))
                .Select(m => $"{m.Method}: {m.Reason}")
                .Distinct()
                .ToList();
            Assert.True(unexpected.Count == 0,
                "ReadyToRun leaves these methods to the JIT (each costs every process a compilation in its first prediction; see "
                + "this test's summary for the usual causes):\n" + string.Join("\n", unexpected));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>crossgen2 of the SDK's runtime version and the IL-only assembly the build compiled; skips where the build does not use ReadyToRun.</summary>
    private static (string Crossgen2, string Assembly) Inputs()
    {
        Skip.IfNot(RuntimeInformation.RuntimeIdentifier.StartsWith("linux", StringComparison.Ordinal) && RuntimeInformation.ProcessArchitecture == Architecture.X64,
            "ReadyToRun is built on linux-x64 hosts only");
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // …/bin/<Configuration>/net10.0[/linux-x64]
        var configuration = bin.Name == "linux-x64" ? bin.Parent!.Parent!.Name : bin.Parent!.Name;
        Skip.IfNot(configuration == "Release", $"ReadyToRun is built in Release only (this is {configuration})");
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ModelBuild.sln")))
        {
            root = root.Parent;
        }

        var assembly = Path.Combine(root!.FullName, "src", "ModelBuild.Runtime", "obj", "Release", "net10.0", "ModelBuild.Runtime.dll");
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var crossgen2 = Path.Combine(packages, "microsoft.netcore.app.crossgen2.linux-x64", Environment.Version.ToString(3), "tools", "crossgen2");
        Skip.IfNot(File.Exists(crossgen2) && File.Exists(assembly), $"crossgen2 ({crossgen2}) or the IL assembly ({assembly}) is missing: the build did not use ReadyToRun");
        return (crossgen2, assembly);
    }

    // The method name runs to its parameter list, which may hold backticks of its own (Vector256`1<float32>&): a pattern
    // stopping at the first backtick missed generic instantiations over vectors, such as BlockedWinograd.StoreRow<Vector256`1<…>>.
    // Compiler-generated types (<PrivateImplementationDetails>) sit outside the namespace.
    [GeneratedRegex(@"Method `\[ModelBuild\.Runtime\](?:ModelBuild\.Runtime\.)?(?<method>[^(\n]+)\([^\n]*?\)` was not compiled because (?<reason>.+)")]
    private static partial Regex NotCompiled();
}
