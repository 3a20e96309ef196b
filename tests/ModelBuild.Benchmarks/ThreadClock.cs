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

    /// <summary>
    /// Minor page faults of the whole process so far (Linux <c>getrusage</c>; 0 elsewhere): each first touch of a
    /// fresh page costs one, about 10–20 µs of CPU on the shared development VM, so they count in a cold start.
    /// </summary>
    public static long MinorFaults()
    {
        Span<long> usage = stackalloc long[18]; // struct rusage: two timevals, then 14 longs (ru_minflt is the 5th)
        return OperatingSystem.IsLinux() && GetRUsage(0, ref MemoryMarshal.GetReference(usage)) == 0 ? usage[8] : 0;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, ref long usage);

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
