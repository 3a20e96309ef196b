using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// No marshalling anywhere in the assembly: its one native call (madvise, through a function pointer) takes blittable
// arguments, and ReadyToRun compiles the call instead of the runtime generating and JIT-compiling an IL stub.
[assembly: DisableRuntimeMarshalling]

namespace ModelBuild.Runtime.Execution;

/// <summary>
/// Asks Linux to back a fresh pinned array with transparent huge pages (<c>madvise(MADV_HUGEPAGE)</c>): one page fault
/// per 2 MiB instead of 512. A first prediction writes every activation buffer for the first time, and each first touch
/// of a 4 KiB page is a page fault: 10–20 µs of CPU on the loaded development VM, so ppocr_det's 15 MiB of activations
/// cost ≈ 55 ms of faults; the same bytes in huge pages cost a few ms. Only a hint: with THP set to <c>never</c>, on
/// other systems, or when the call fails, nothing changes; with THP <c>always</c> the kernel did this already.
/// </summary>
internal static class HugePages
{
    /// <summary>The huge page size on x86-64 and most arm64 kernels.</summary>
    public const int Size = 2 << 20;

    private const int MadvHugePage = 14;

    /// <summary>False once advice failed (or off Linux): callers then skip allocating for it.</summary>
    public static bool Available => s_available;

    // Cleared on the first failed call (no madvise, or a kernel without THP), so it is tried once.
    private static bool s_available = OperatingSystem.IsLinux();

    private static readonly unsafe delegate* unmanaged<nint, nuint, int, int> s_madvise = FindMAdvise();

    /// <summary>
    /// The 2 MiB-aligned part of <paramref name="pinned"/> (a pinned array no one has written yet) as a byte offset and
    /// length, advised for huge pages; (0, 0) when the array holds no aligned 2 MiB page or the advice is unavailable.
    /// </summary>
    public static unsafe (int Offset, int Length) Advise<T>(T[] pinned)
        where T : unmanaged
    {
        long bytes = (long)pinned.Length * sizeof(T);
        if (!s_available || bytes < 2 * Size)
        {
            return (0, 0);
        }

        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        nint alignedStart = (start + Size - 1) & ~(nint)(Size - 1);
        nint alignedEnd = (nint)(start + bytes) & ~(nint)(Size - 1);
        if (alignedEnd <= alignedStart)
        {
            return (0, 0);
        }

        if (s_madvise == null || s_madvise(alignedStart, (nuint)(alignedEnd - alignedStart), MadvHugePage) != 0)
        {
            s_available = false;
            return (0, 0);
        }

        return ((int)(alignedStart - start), (int)(alignedEnd - alignedStart));
    }

    /// <summary>
    /// madvise from the C library the process already has loaded, looked up among its global symbols (<c>dlsym</c> on
    /// the main program's handle; glibc and musl alike); null off Linux or when it is not there.
    /// </summary>
    /// <remarks>
    /// Not a <c>[LibraryImport("libc")]</c>, which the runtime binds on the first call through its native library probing
    /// (file name variants in the app's and the system's folders). The first advice took 1.0–1.4 ms
    /// that way and 0.35–0.5 ms this way, lookup included (`quick dense-first … PACK_FIRST=1`, interleaved, 2026-12-04,
    /// Zen 5 VM); every first prediction large enough to advise huge pages pays it once.
    /// </remarks>
    private static unsafe delegate* unmanaged<nint, nuint, int, int> FindMAdvise()
    {
        try
        {
            return OperatingSystem.IsLinux() && NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "madvise", out nint address)
                ? (delegate* unmanaged<nint, nuint, int, int>)address
                : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // dlopen(NULL) failed (a fully static musl executable): no advice, rather than a type initializer that throws.
            return null;
        }
    }
}
