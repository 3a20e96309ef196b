using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// Software prefetch for batch-1 GEMV kernels that take weight rows a block (2 or 4 rows) at a time: while a block
/// runs, the next block's rows are fetched in step with it (iteration i touches the same share of the next block as
/// of this one). A block's rows are short streams, each ending before the hardware prefetcher gets ahead of it, so
/// a layer too large for the caches otherwise waits on memory: 8192 × 8192 int8 (64 MB) took 3.7–4.0 ms through the
/// 512-bit loop without it and 2.7–2.8 ms with it (DenseBlocksZmm; Zen 5).
/// </summary>
internal static unsafe class RowPrefetch
{
    /// <summary>
    /// Layers with fewer weight bytes than this take no prefetch (<see cref="For"/>): one that fits a core's L2 (1–2 MB)
    /// gains nothing, and the extra instructions cost the tight loops up to 15 % there (AVX2 4-bit codes, 1024 × 1024
    /// with a prefetch forced: 0.97 → 1.11× int8's time; 512-bit int8 4 %). From 2 MB on they pay: 2048 × 2048 int8
    /// 0.94×, 8192 × 8192 int8 0.71×, int4 0.75× (512-bit) and 0.84× (AVX2), 3-bit 0.80× (512-bit) of the time without.
    /// Settable for A/B measurements (<c>quick big-layer</c>).
    /// </summary>
    internal static long MinBytes { get; set; } = 2 << 20;

    /// <summary>
    /// The same for the int8 GEMV's AVX-VNNI form (<see cref="FixedPointGemv"/>), which is fast enough that a layer
    /// streamed from L3 waits on it: from 256 KB on it takes the prefetch (Zen 5, AVX-512 off, 2026-12-05, interleaved:
    /// 1024 × 784 0.92×, 1024 × 1024 0.91×, 1536 × 1024 0.83× the time without; 256 × 1024 0.98×; the wide MLP
    /// 784-1024-1024-10 0.84×). The AVX2 form gains nothing there (1536 × 1024: 1.01×): it is bound by its own
    /// instructions, not by the reads.
    /// </summary>
    internal static long MinBytesVnniInt8 { get; set; } = 256 << 10;

    /// <summary>Whether a layer of <paramref name="rows"/> rows of <paramref name="rowBytes"/> is worth prefetching.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool For(int rows, nint rowBytes) => (long)rows * rowBytes >= MinBytes;

    /// <summary>
    /// The next block's first byte: <paramref name="rows"/> rows of <paramref name="rowBytes"/> after
    /// <paramref name="first"/> (rows are equally spaced). An untracked pointer: a prefetch is only a hint, so one
    /// that a moved array made stale, or one past the last row, does no harm.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* Next(ref byte first, int rows, nint rowBytes) => (byte*)Unsafe.AsPointer(ref first) + (rows * rowBytes);

    /// <summary>
    /// One loop iteration's share of the next block: the block's bytes <c>[offset, offset + bytes)</c> from
    /// <paramref name="next"/>, where <paramref name="offset"/> grows by <paramref name="bytes"/> per iteration. Below a
    /// cache line per iteration, only the iterations that start a new line prefetch (a prefetch every 32 bytes cost
    /// AVX2's 4-bit loop 18 % on a layer in cache).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Step(byte* next, nint offset, int bytes)
    {
        if (bytes >= 64)
        {
            Lines(next + offset, bytes);
        }
        else if ((offset & 63) < bytes)
        {
            Lines(next + offset, 1);
        }
    }

    /// <summary>Prefetches (into all cache levels) the cache lines of <c>[at, at + bytes)</c>, at least one.</summary>
    /// <param name="at">Start address.</param>
    /// <param name="bytes">Bytes to cover; a constant at every call, so the loop folds away.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lines(byte* at, int bytes)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(at);
            for (int line = 64; line < bytes; line += 64)
            {
                Sse.Prefetch0(at + line);
            }
        }
    }
}
