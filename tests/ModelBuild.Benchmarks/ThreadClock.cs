using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ModelBuild.Benchmarks;

/// <summary>The clock of the Stopwatch tools (OpProfiler, QuickTimer).</summary>
internal static class ThreadClock
{
    /// <summary>
    /// This thread's CPU time in nanoseconds (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>): on a machine shared with other
    /// jobs, wall time counts the slices other processes run in; elsewhere, the Stopwatch.
    /// </summary>
    public static long Nanoseconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(3, out var ts) == 0)
        {
            return (ts.Seconds * 1_000_000_000) + ts.Nanoseconds;
        }

        return (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
    }

    /// <summary>
    /// CPU time of the whole process (all threads: the JIT's background compiles, ONNX Runtime's own threads) in
    /// nanoseconds (Linux <c>CLOCK_PROCESS_CPUTIME_ID</c>); elsewhere, the Stopwatch.
    /// </summary>
    public static long ProcessNanoseconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(2, out var ts) == 0)
        {
            return (ts.Seconds * 1_000_000_000) + ts.Nanoseconds;
        }

        return (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
