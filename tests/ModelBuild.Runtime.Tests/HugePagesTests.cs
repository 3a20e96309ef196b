using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="HugePages"/> finds madvise among the process's symbols and advises a fresh pinned array's whole 2 MiB
/// pages: on a Linux kernel with transparent huge pages, a silent failure here would turn every large first prediction's
/// activation and packed-weight memory back into 4 KiB page faults (IMPLEMENTATION.md, "Cold start").
/// </summary>
public sealed class HugePagesTests
{
    [SkippableFact]
    public void Advise_OnLinuxWithTransparentHugePages_CoversTheArraysWhole2MiBPages()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Directory.Exists("/sys/kernel/mm/transparent_hugepage"),
            "not Linux, or a kernel without transparent huge pages: advice is unavailable there by design");
        float[] block = GC.AllocateArray<float>((3 * HugePages.Size) / sizeof(float), pinned: true);

        (int offset, int length) = HugePages.Advise(block);

        Assert.True(HugePages.Available);
        Assert.True(length >= HugePages.Size, $"advised {length} bytes of a {3 * HugePages.Size}-byte array");
        Assert.Equal(0, length % HugePages.Size);
        Assert.InRange(offset, 0, HugePages.Size - 1);
        unsafe
        {
            fixed (float* p = block)
            {
                Assert.Equal(0, ((nint)p + offset) % HugePages.Size);
            }
        }
    }
}
