using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Benchmarks;

/// <summary>
/// ONNX Runtime as it runs on a processor without AVX-512, on one that has it: for the "with AVX-512 disabled"
/// comparison, where <c>DOTNET_EnableAVX512=0</c> narrows only our side. ONNX Runtime (MLAS and the cpuinfo library)
/// has no switch for it; both ask the processor which register state the OS saves (<c>xgetbv</c> of XCR0) before they
/// pick their AVX-512 kernels. <see cref="Patch"/> writes a copy of <c>libonnxruntime.so</c> whose <c>xgetbv</c>
/// sites read XCR0 = 7 (x87, SSE and AVX state, no opmask/ZMM state), which is what such an OS reports, so every
/// check in the library falls back to its AVX2 (+ FMA, AVX-VNNI) kernels. Nothing else in the library changes.
/// </summary>
/// <remarks>
/// Use: <c>quick ort-no-avx512 out.so</c>, then run anything in this project with <c>MODELBUILD_ORT_NATIVE=out.so</c>
/// (BenchmarkDotNet: <c>--envVars MODELBUILD_ORT_NATIVE:out.so DOTNET_EnableAVX512:0</c>). The module initializer
/// below loads that file for the ONNX Runtime assembly's P/Invokes, in this process and in BenchmarkDotNet's.
/// Only the instruction patterns found in ONNX Runtime 1.31.1's Linux x64 build are recognised (six sites there: MLAS,
/// the CPU-info code and cpuinfo); <see cref="Patch"/> fails if it finds none and prints how many it patched.
/// </remarks>
internal static class OrtWithoutAvx512
{
    private const string EnvironmentVariable = "MODELBUILD_ORT_NATIVE";

    // xor ecx, ecx; xgetbv; mov eax, eax; shl rdx, 32; or rdx, rax  (XCR0 read into rdx as one 64-bit value)
    // → the same, with the xgetbv and its combining replaced by mov eax, 7; mov edx, 7; 2-byte nop.
    private static readonly byte[] CombinedRead = [0x31, 0xC9, 0x0F, 0x01, 0xD0, 0x89, 0xC0, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xC2];
    private static readonly byte[] CombinedPatch = [0x31, 0xC9, 0xB8, 0x07, 0, 0, 0, 0xBA, 0x07, 0, 0, 0, 0x66, 0x90];

    // The same without the leading xor (ecx set earlier): mov ecx, ecx; or rdx, rbx; mov rbp, rdx; xgetbv; mov eax, eax; shl rdx, 32; or rdx, rax.
    private static readonly byte[] CombinedReadAfterOr = [0x48, 0x89, 0xD5, 0x0F, 0x01, 0xD0, 0x89, 0xC0, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xC2];
    private static readonly byte[] CombinedPatchAfterOr = [0x48, 0x89, 0xD5, 0xB8, 0x07, 0, 0, 0, 0xBA, 0x07, 0, 0, 0, 0x66, 0x90];

    // cpuinfo: xor ecx, ecx; xgetbv; shr edi, 26 — eax is used, edx is overwritten before it is read, ecx reloaded.
    private static readonly byte[] EaxRead = [0x31, 0xC9, 0x0F, 0x01, 0xD0, 0xC1, 0xEF, 0x1A];
    private static readonly byte[] EaxPatch = [0xB8, 0x07, 0, 0, 0, 0xC1, 0xEF, 0x1A];

    [ModuleInitializer]
    internal static void UseOverrideIfSet()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is not { Length: > 0 } path)
        {
            return;
        }

        var full = Path.GetFullPath(path);
        NativeLibrary.SetDllImportResolver(typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly, (name, _, _) =>
            name is "onnxruntime" or "libonnxruntime" or "libonnxruntime.so" ? NativeLibrary.Load(full) : IntPtr.Zero);
        Console.Error.WriteLine($"// ONNX Runtime loaded from {full} ({EnvironmentVariable})");
    }

    /// <summary>Writes <paramref name="destination"/>: the ONNX Runtime library this process would load, with every XCR0 read patched.</summary>
    /// <returns>The number of patched sites.</returns>
    /// <exception cref="InvalidDataException">No <c>xgetbv</c> site of a known pattern was found.</exception>
    public static int Patch(string destination)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime.so");
        var bytes = File.ReadAllBytes(source);
        int sites = Replace(bytes, CombinedRead, CombinedPatch) + Replace(bytes, CombinedReadAfterOr, CombinedPatchAfterOr) + Replace(bytes, EaxRead, EaxPatch);
        if (sites == 0)
        {
            throw new InvalidDataException($"{source}: no xgetbv site of a known pattern (not ONNX Runtime 1.31.1 for Linux x64?)");
        }

        File.WriteAllBytes(destination, bytes);
        Console.WriteLine($"{destination}: {sites} xgetbv sites now read XCR0 = 7 (from {source}, {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion})");
        return sites;
    }

    private static int Replace(byte[] bytes, byte[] find, byte[] with)
    {
        int count = 0;
        for (int at = bytes.AsSpan().IndexOf(find); at >= 0;)
        {
            with.CopyTo(bytes, at);
            count++;
            int next = bytes.AsSpan(at + find.Length).IndexOf(find);
            at = next < 0 ? -1 : at + find.Length + next;
        }

        return count;
    }
}
