using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime;

/// <summary>
/// Per-thread scratch arrays whose usable part starts on a 64-byte cache line. A plain array's data starts 16 bytes past
/// a line, so (1) every other 32-byte vector access straddles two lines, and (2) when the parts of a split call write
/// neighbouring ranges of a shared scratch (a Winograd split's GEMM outputs, the batched GEMM's accumulator), the range
/// boundaries fall inside lines that both cores then write: false sharing, which made a 2-thread batch-1 Winograd conv
/// 2× slower than one thread in the processes whose array happened to be misaligned.
/// </summary>
internal static class ThreadScratch
{
    private const int LineBytes = AlignedBuffer.Alignment;

    /// <summary>
    /// <paramref name="count"/> elements of <paramref name="cache"/> starting on a cache line, growing (replacing) the
    /// array when it is too small; contents are whatever the thread left there (zero when new).
    /// </summary>
    /// <param name="cache">The calling thread's [ThreadStatic] array field.</param>
    /// <param name="count">Elements needed (≥ 0).</param>
    public static unsafe Span<T> Get<T>(ref T[]? cache, int count)
        where T : unmanaged
    {
        int slack = LineBytes / sizeof(T);
        if (cache is not { } array || array.Length - slack < count)
        {
            // Pinned: the offset computed below stays valid for the array's life.
            array = cache = GC.AllocateArray<T>(checked(Math.Max(count, 16) + slack), pinned: true);
        }

        return array.AsSpan(AlignedBuffer.BytesToBoundary(array) / sizeof(T), count);
    }
}
