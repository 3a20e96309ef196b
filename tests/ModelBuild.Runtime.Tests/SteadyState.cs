namespace ModelBuild.Runtime.Tests;

/// <summary>Allocation checks for code that must not allocate once warm.</summary>
internal static class SteadyState
{
    /// <summary>
    /// Asserts that <paramref name="run"/> reaches three calls in a row that allocate nothing on this thread, within
    /// 30 calls after 3 warm-up calls. The runtime itself sometimes allocates on the calling thread during early
    /// calls (tiered compilation, OSR, type loading), more often under load; code that allocates per call never
    /// gets three clean calls.
    /// </summary>
    public static void AssertAllocatesNothing(Action run, string what = "the kernels")
    {
        for (int i = 0; i < 3; i++)
        {
            run();
        }

        var allocations = new List<long>();
        int zeroInARow = 0;
        for (int i = 0; i < 30 && zeroInARow < 3; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            allocations.Add(allocated);
            zeroInARow = allocated == 0 ? zeroInARow + 1 : 0;
        }

        Assert.True(zeroInARow == 3, $"{what} allocated {string.Join(", ", allocations)} bytes per call");
    }
}
