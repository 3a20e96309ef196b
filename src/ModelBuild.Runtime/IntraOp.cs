using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace ModelBuild.Runtime;

/// <summary>
/// Opt-in intra-op parallelism: one kernel call (a "region") is cut into parts that the calling thread and its helper
/// threads claim one at a time, so a helper that wakes late (or never, on a busy machine) only means the calling thread
/// runs more parts itself. Kernels split only independent outputs (output channels, rows, images), so every output is
/// computed by the same instructions in the same order whatever the thread count: results are bit-identical to one
/// thread.
/// </summary>
/// <remarks>
/// <para>
/// The hand-off follows Eigen's / ONNX Runtime's thread pool: a helper that finished a region spins for
/// <see cref="SpinMicroseconds"/> watching for the next one (a hand-off then costs one cache-line transfer, ~0.1 µs)
/// and only then blocks on a semaphore (a wake-up costs a futex call, tens of µs on a VM). The previous version
/// blocked after every region, so every Dense layer paid a wake-up: a small MLP at batch 64 ran 6× slower on 2 threads.
/// </para>
/// <para>
/// Each calling thread has its own helpers ([ThreadStatic]), so concurrent predictions never share or wait for each
/// other's helpers. A call with one part runs inline; no call allocates after the calling thread's first parallel
/// call with that many threads. A region's parts are claimed with a compare-and-swap on one 64-bit word holding
/// (region number, part count, next part), so a helper that wakes after its region ended cannot run a part of it or
/// of the next region with stale operands.
/// </para>
/// </remarks>
internal sealed class IntraOp
{
    /// <summary>
    /// Least work per part worth handing to another thread: 256 kFLOP, ~25 µs of AVX2 FMAs on one core, against a
    /// hand-off of ~0.1 µs to a spinning helper and ~10–50 µs to a sleeping one (which the calling thread does not
    /// wait for: it takes the part itself). Below 2 parts a call stays on the calling thread.
    /// </summary>
    public const long MinFlopsPerPart = 1 << 18;

    /// <summary>Parts per thread when the work allows: a few more than threads, so a late helper leaves less for the caller's tail.</summary>
    public const int PartsPerThread = 4;

    /// <summary>How long an idle helper watches for the next region before it blocks (covers the gaps between a prediction's layers).</summary>
    public const int SpinMicroseconds = 100;

    /// <summary>Most parts one region may have (the width of the part fields in the claim word).</summary>
    public const int MaxParts = 1 << 15;

    [ThreadStatic]
    private static IntraOp? t_pool;

    // > 0 while this thread runs a part: a region started inside a part (a chunk of a fixed-batch model whose ops
    // would split too) runs inline instead of making helpers of its own, so threads never multiply.
    [ThreadStatic]
    private static int t_depth;

    private static readonly long s_spinTicks = Math.Max(1, Stopwatch.Frequency * SpinMicroseconds / 1_000_000);

    private readonly List<Helper> _helpers = [];

    // (region << 32) | (parts << 16) | next part; written by the owner to start a region, advanced by claims.
    private long _claim;
    private int _region;
    private IWork? _work;
    private int _completed;
    private int _helpersWanted;
    private Exception? _error;
    private SplitGate _gate;

    /// <summary>One kernel call split into parts; <see cref="Run"/> is called once per part, in any order, on any thread.</summary>
    internal interface IWork
    {
        /// <summary>Computes part <paramref name="part"/> of <paramref name="parts"/> (a range of outputs no other part writes).</summary>
        void Run(int part, int parts);
    }

    /// <summary>
    /// The number of parts to cut a call of <paramref name="flops"/> floating-point operations into for
    /// <paramref name="threads"/> threads: 1 (run inline) for one thread or less than two parts' worth of work, else up
    /// to <see cref="PartsPerThread"/> per thread, at least <see cref="MinFlopsPerPart"/> each, and at most
    /// <paramref name="maxParts"/> (the call's natural units: panels, row blocks, image groups).
    /// </summary>
    public static int Parts(int threads, double flops, int maxParts)
    {
        if (threads <= 1 || maxParts <= 1)
        {
            return 1;
        }

        double byWork = Math.Floor(flops / MinFlopsPerPart);
        int parts = (int)Math.Min(Math.Min(byWork, maxParts), Math.Min((long)threads * PartsPerThread, MaxParts));
        return parts < 2 ? 1 : parts;
    }

    /// <summary>
    /// Least work per part when one image or one input row is split (batch-1 convs and GEMVs): 128 kFLOP, 2–4 µs of this
    /// machine's batch-1 conv and GEMV kernels (a layer of 256 kFLOP, the least that splits, takes 4–6 µs), against a
    /// hand-off of 1.2–1.4 µs per region when a spinning helper takes a part (`quick split-layers`: two parts of 5 or
    /// 20 µs, 2-core AMD EPYC VM). The caller runs a part itself when the helper is late, so a late helper costs only
    /// the claim; one that claimed a part and lost its core makes the caller wait, which is why parts are not smaller.
    /// </summary>
    public const long MinFlopsPerSplitPart = 1 << 17;

    /// <summary>Runs every region's parts in order on the calling thread (benchmarks: the parts' total cost without any hand-off).</summary>
    internal static bool RunPartsInline { get; set; }

    /// <summary>Tries every batch-1 split whether or not helpers keep up (tests, so that splits run on a busy machine too).</summary>
    internal static bool IgnoreSplitGate { get; set; }

    /// <summary>Switches batch-1 splits off (benchmarks' A/B of the same thread count with and without them).</summary>
    internal static bool SplitOneImage { get; set; } = true;

    /// <summary>
    /// Parts for a single image or row of <paramref name="flops"/> operations cut into at most <paramref name="maxParts"/>
    /// units (channel blocks, weight-row blocks): one per thread, each at least <see cref="MinFlopsPerSplitPart"/>;
    /// 1 (inline) when that leaves fewer than 2, or while this thread's helpers run no parts (<see cref="SplitGate"/>).
    /// </summary>
    public static int SplitParts(int threads, double flops, int maxParts)
    {
        if (threads <= 1 || maxParts <= 1 || t_depth > 0 || !SplitOneImage || (!IgnoreSplitGate && t_pool is { } pool && !pool._gate.Allows()))
        {
            return 1;
        }

        int parts = (int)Math.Min(Math.Min(Math.Floor(flops / MinFlopsPerSplitPart), maxParts), threads);
        return parts < 2 ? 1 : parts;
    }

    /// <summary>
    /// Runs <paramref name="work"/>'s <paramref name="parts"/> parts on the calling thread and up to
    /// <paramref name="threads"/> − 1 helpers; returns when all parts are done. One part runs inline.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> above <see cref="MaxParts"/>.</exception>
    /// <exception cref="Exception">The first exception a part threw, rethrown on the calling thread after all parts ended.</exception>
    public static void Run(IWork work, int parts, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parts, MaxParts);
        if (parts <= 1 || threads <= 1 || t_depth > 0 || RunPartsInline)
        {
            for (int p = 0; p < parts; p++)
            {
                work.Run(p, parts);
            }

            return;
        }

        (t_pool ??= new IntraOp()).Execute(work, parts, Math.Min(threads, parts) - 1);
    }

    private void Execute(IWork work, int parts, int helpers)
    {
        while (_helpers.Count < helpers)
        {
            _helpers.Add(new Helper(this, _helpers.Count));
        }

        int region = ++_region;
        _work = work;
        _helpersWanted = helpers;
        _error = null;
        Volatile.Write(ref _completed, 0);

        // A full fence: helpers that read the new claim word see the operands above; and helpers deciding to sleep
        // (they set their flag, fence, then re-read this word) either see the region or are seen sleeping below.
        Interlocked.Exchange(ref _claim, Pack(region, parts, 0));
        for (int i = 0; i < helpers; i++)
        {
            _helpers[i].Wake();
        }

        try
        {
            _gate.Record(Help(region) < parts);
        }
        finally
        {
            // Every part is claimed by now; wait only for parts other threads are still running (they are awake).
            var spin = default(SpinWait);
            while (Volatile.Read(ref _completed) != parts)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            _work = null;
        }

        if (_error is { } error)
        {
            _error = null;
            ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>Claims and runs parts of region <paramref name="region"/> until none is left (or a newer region started); returns how many it ran.</summary>
    private int Help(int region)
    {
        for (int ran = 0; ; ran++)
        {
            long claim = Volatile.Read(ref _claim);
            int parts = (int)(claim >> 16) & 0xFFFF, next = (int)claim & 0xFFFF;
            if ((int)(claim >> 32) != region || next >= parts)
            {
                return ran;
            }

            // Read before the claim: the region cannot end while part `next` is unclaimed, so if the claim succeeds
            // this is the region's work (the owner publishes it before the claim word).
            IWork? work = Volatile.Read(ref _work);
            if (Interlocked.CompareExchange(ref _claim, claim + 1, claim) != claim)
            {
                ran--;
                continue;
            }

            t_depth++;
            try
            {
                work!.Run(next, parts);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
            finally
            {
                t_depth--;
                Interlocked.Increment(ref _completed);
            }
        }
    }

    private static long Pack(int region, int parts, int next) => ((long)region << 32) | ((long)parts << 16) | (uint)next;

    private sealed class Helper
    {
        private readonly IntraOp _owner;
        private readonly int _index;
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        public Helper(IntraOp owner, int index)
        {
            _owner = owner;
            _index = index;
            new Thread(Loop) { IsBackground = true, Name = "ModelBuild intra-op helper" }.Start();
        }

        /// <summary>Called by the owner after publishing a region: releases the helper if it blocked.</summary>
        public void Wake()
        {
            if (Volatile.Read(ref _sleeping) == 1 && Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                _wake.Release();
            }
        }

        private void Loop()
        {
            int seen = 0;
            long idleSince = Stopwatch.GetTimestamp();
            while (true)
            {
                int region = (int)(Volatile.Read(ref _owner._claim) >> 32);
                if (region != seen)
                {
                    seen = region;

                    // Helpers past the region's thread count (left from a call with more threads) stay out of it.
                    if (_index < Volatile.Read(ref _owner._helpersWanted))
                    {
                        _owner.Help(region);
                    }


                    idleSince = Stopwatch.GetTimestamp();
                    continue;
                }

                if (Stopwatch.GetTimestamp() - idleSince < s_spinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }

                // Sleep: announce it, then look once more (Dekker with the owner's fence in Execute).
                Interlocked.Exchange(ref _sleeping, 1);
                if ((int)(Volatile.Read(ref _owner._claim) >> 32) != seen && Interlocked.Exchange(ref _sleeping, 0) == 1)
                {
                    continue; // a region started and the owner did not see the flag: no release is coming
                }

                _wake.Wait(); // released by Wake (also when the owner took the flag just after the check above)
                idleSince = Stopwatch.GetTimestamp();
            }
        }
    }
}
