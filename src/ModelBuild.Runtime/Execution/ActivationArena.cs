namespace ModelBuild.Runtime.Execution;

/// <summary>
/// Where an <see cref="OpContext"/>'s slot and scratch buffers come from. During the context's first run, once its
/// buffers pass <see cref="StandaloneBytes"/>, new buffers are cut from large pinned chunks advised for huge pages
/// (<see cref="HugePages"/>): a cold first prediction of a large model then takes a few faults of 2 MiB instead of
/// thousands of 4 KiB ones. Small models (below the threshold) and later runs (a larger shape growing a slot)
/// get one array per buffer, as before, so a context that grows over time frees what it outgrows.
/// </summary>
/// <remarks>
/// A buffer cut from a chunk keeps the whole chunk reachable, so the space a slot outgrew during the first run stays
/// allocated while the context lives (bounded by that run's growth; <see cref="SpareBuffers"/> reuses most of it).
/// Untouched parts of a chunk are address space only. Every buffer starts on a 64-byte boundary, as
/// <see cref="AlignedBuffer.Allocate"/>'s do.
/// </remarks>
internal sealed class ActivationArena
{
    /// <summary>Bytes given as separate arrays before chunks are used: small models keep their small footprint.</summary>
    public const int StandaloneBytes = 1 << 20;

    /// <summary>The smallest chunk (the address space reserved at once; only touched huge pages become memory).</summary>
    public const int ChunkBytes = 8 * HugePages.Size;

    private long _allocated;
    private bool _firstRunDone;
    private byte[]? _chunk;
    private int _next, _end;

    /// <summary>
    /// A buffer of at least <paramref name="needed"/> bytes (contents undefined, zero when fresh): a separate array of
    /// <paramref name="preferred"/> bytes (the caller's growth policy), or a cut of exactly <paramref name="needed"/>
    /// from a chunk (within one run sizes do not creep up, and every byte of a touched huge page is memory).
    /// </summary>
    public AlignedBuffer Allocate(int needed, int preferred)
    {
        _allocated += needed;
        if (_firstRunDone || _allocated <= StandaloneBytes)
        {
            return AlignedBuffer.Allocate(preferred);
        }

        int length = needed;

        if (_chunk is null || (long)_next + length > _end)
        {
            if (!NewChunk(length))
            {
                return AlignedBuffer.Allocate(preferred);
            }
        }

        var buffer = AlignedBuffer.Slice(_chunk!, _next, length);
        // _next stays a multiple of 64 bytes past the chunk's aligned start, so every cut starts on 64 bytes.
        _next = (int)Math.Min(_end, _next + (((long)length + AlignedBuffer.Alignment - 1) & ~(long)(AlignedBuffer.Alignment - 1)));
        return buffer;
    }

    /// <summary>The first run ended: later growth gets separate arrays again.</summary>
    public void FirstRunDone() => _firstRunDone = true;

    // A chunk holding at least length bytes in its huge-page-aligned part; false when huge pages are unavailable.
    private bool NewChunk(int length)
    {
        long size = Math.Max(ChunkBytes, ((long)length + HugePages.Size - 1) & ~(long)(HugePages.Size - 1)) + HugePages.Size;
        if (!HugePages.Available || size > Array.MaxLength)
        {
            return false;
        }

        var chunk = GC.AllocateArray<byte>((int)size, pinned: true); // fresh memory from the OS is not written by the GC
        (int offset, int advised) = HugePages.Advise(chunk);
        if (advised < length)
        {
            _chunk = null;
            return false;
        }

        _chunk = chunk;
        _next = offset;
        _end = offset + advised;
        return true;
    }
}
