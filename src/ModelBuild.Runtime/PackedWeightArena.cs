using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime;

/// <summary>
/// Process-wide memory for weights packed on first use (<see cref="WeightMatrix.PackedConv"/>,
/// <see cref="WeightMatrix.PackedDense"/>, the Winograd transforms <see cref="WeightMatrix.PackedWinograd"/> and
/// <see cref="WeightMatrix.PackedBlockedWinograd"/>). Past the first <see cref="StandaloneFloats"/>, blocks are cut from large
/// pinned chunks advised for huge pages (<see cref="HugePages"/>), as <see cref="ActivationArena"/> does for
/// activations: a cold first prediction of ppocr_det writes ≈ 9 MB of packed panels into fresh memory, 2,400 page faults
/// of 4 KiB (≈ 35 ms of CPU on the loaded development VM) or 5 of 2 MiB. Small models keep one array per layer.
/// </summary>
/// <remarks>
/// Thread-safe (packing may run on several threads at once). A block keeps its whole chunk reachable; packed weights
/// live as long as their blob's matrices, which for generated predictors is the process, so the cost is at most the
/// unused tail of the last chunk (address space: only touched huge pages become memory). Blocks start on 64 bytes
/// and are zero until the packer writes them (padding rows rely on that).
/// </remarks>
internal static class PackedWeightArena
{
    /// <summary>Floats given as separate arrays before chunks are used (1 MiB).</summary>
    public const int StandaloneFloats = 1 << 18;

    // 16 MiB of address space per chunk (plus one huge page of alignment slack).
    private const int ChunkFloats = 8 * HugePages.Size / sizeof(float);

    private const int AlignFloats = AlignedBuffer.Alignment / sizeof(float);

    // A Monitor, as ModelProgram's: System.Threading.Lock's static constructor reads the runtime's spin configuration,
    // ≈ 0.4 ms of the first prediction on a type nothing else on that path needs (issue 12).
    private static readonly object s_gate = new();
    private static long s_given;
    private static float[]? s_chunk;
    private static int s_next, s_end;

    /// <summary>A zeroed block of <paramref name="floats"/> floats.</summary>
    public static ArraySegment<float> Allocate(int floats)
    {
        lock (s_gate)
        {
            s_given += floats;
            if (s_given > StandaloneFloats && (s_chunk is not null && (long)s_next + floats <= s_end || NewChunk(floats)))
            {
                var block = new ArraySegment<float>(s_chunk!, s_next, floats);
                // s_next stays a multiple of 16 floats past the chunk's aligned start: every block starts on 64 bytes.
                s_next = (int)Math.Min(s_end, s_next + (((long)floats + AlignFloats - 1) & ~(long)(AlignFloats - 1)));
                return block;
            }
        }

        return new float[floats];
    }

    // A chunk whose huge-page-aligned part holds at least `floats`; false when huge pages are unavailable.
    private static bool NewChunk(int floats)
    {
        const int hugeFloats = HugePages.Size / sizeof(float);
        long size = Math.Max(ChunkFloats, ((long)floats + hugeFloats - 1) / hugeFloats * hugeFloats) + hugeFloats;
        if (!HugePages.Available || size > Array.MaxLength)
        {
            return false;
        }

        var chunk = GC.AllocateArray<float>((int)size, pinned: true); // fresh memory from the OS is not written by the GC
        (int offset, int advised) = HugePages.Advise(chunk);
        if ((long)advised < (long)floats * sizeof(float))
        {
            return false;
        }

        s_chunk = chunk;
        s_next = offset / sizeof(float);
        s_end = s_next + (advised / sizeof(float));
        return true;
    }
}
