using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Graph inputs read in place (<see cref="ModelProgram.ReadsInPlace"/>) from memory that ends where an inaccessible page
/// begins and is itself read-only: a kernel reading one element past the caller's input, or writing into it, faults
/// instead of passing silently. Linux only (mmap); elsewhere a plain pinned copy. The mappings live until the test
/// process ends (a few pages per input).
/// </summary>
internal static unsafe class GuardedInput
{
    private const int PageSize = 4096, ProtNone = 0, ProtRead = 1, ProtReadWrite = 3, MapPrivateAnonymous = 0x22;

    /// <summary>Copies <paramref name="data"/> into guarded memory and binds input <paramref name="value"/> of <paramref name="context"/> to it for the next run.</summary>
    public static void ReadInPlace<T>(OpContext context, int value, T[] data, int[] shape)
        where T : unmanaged
    {
        T* p = Copy(data);
        context.ReadInputInPlace(value, p, data.Length, shape);
    }

    /// <summary>A copy of <paramref name="bytes"/> in read-only memory followed by an inaccessible page (Linux; elsewhere a pinned copy).</summary>
    public static byte* Bytes(byte[] bytes) => Copy(bytes);

    private static T* Copy<T>(T[] data)
        where T : unmanaged
    {
        long bytes = (long)data.Length * sizeof(T);
        if (!OperatingSystem.IsLinux())
        {
            var kept = GC.AllocateArray<T>(data.Length, pinned: true);
            data.CopyTo(kept);
            Kept.Add(kept);
            return (T*)Marshal.UnsafeAddrOfPinnedArrayElement(kept, 0);
        }

        long dataPages = (bytes + PageSize - 1) / PageSize * PageSize;
        nint map = Mmap(0, (nuint)(dataPages + PageSize), ProtReadWrite, MapPrivateAnonymous, -1, 0);
        Assert.NotEqual(-1, map);
        byte* start = (byte*)map + dataPages - bytes;
        data.AsSpan().CopyTo(new Span<T>(start, data.Length));
        Assert.Equal(0, Mprotect(map, (nuint)dataPages, ProtRead));
        Assert.Equal(0, Mprotect(map + (nint)dataPages, PageSize, ProtNone));
        return (T*)start;
    }

    private static readonly List<Array> Kept = new();

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern nint Mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int Mprotect(nint addr, nuint length, int prot);
}
