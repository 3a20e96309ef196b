namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The intra-op hand-off (<see cref="IntraOp"/>): every part of every region runs exactly once, helpers really run
/// parts concurrently with the caller (also after they went to sleep), a part's exception reaches the caller, no
/// region allocates on the calling thread or on a helper, and the work estimate keeps small calls inline.
/// </summary>
public sealed class IntraOpTests
{
    // Long enough that a helper thread is scheduled on the most loaded machine; a passing run never waits for it.
    private static readonly TimeSpan s_rendezvousTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void EveryPart_RunsExactlyOnce_InEveryRegion(int threads)
    {
        var work = new CountingWork(64);
        for (int region = 0; region < 3000; region++)
        {
            int parts = 2 + (region % 63);
            work.Reset(parts);
            IntraOp.Run(work, parts, threads);
            for (int p = 0; p < 64; p++)
            {
                Assert.Equal(p < parts ? 1 : 0, work.Counts[p]);
            }
        }
    }

    [Fact]
    public void Helper_RunsAPartConcurrently_AlsoAfterSleeping()
    {
        // Both parts wait until both have started: only a helper running at the same time as the caller ends it.
        var work = new RendezvousWork();
        IntraOp.Run(work, 2, 2);
        Assert.True(work.Met, "the two parts never ran at the same time");
        Assert.NotEqual(work.Threads[0], work.Threads[1]);

        Thread.Sleep(200); // 2000× SpinMicroseconds: the helper has stopped spinning and blocks
        work = new RendezvousWork();
        IntraOp.Run(work, 2, 2);
        Assert.True(work.Met, "a sleeping helper was not woken");
    }

    [Fact]
    public void PartException_ReachesTheCaller_AndLaterRegionsRun()
    {
        var failing = new FailingWork(failPart: 3);
        var error = Assert.Throws<InvalidOperationException>(() => IntraOp.Run(failing, 6, 2));
        Assert.Equal("part 3", error.Message);

        var work = new CountingWork(8);
        work.Reset(8);
        IntraOp.Run(work, 8, 2);
        Assert.All(work.Counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void Regions_AllocateNothing_OnCallerOrHelpers()
    {
        var work = new AllocationProbe();
        for (int i = 0; i < 50; i++)
        {
            IntraOp.Run(work, 4, 2); // creates the helper, JITs both sides
        }

        work.Start();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            IntraOp.Run(work, 4, 2);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, work.HelperBytes());
    }

    [Theory]
    [InlineData(1, 1e12, 1000, 1)] // one thread: always inline
    [InlineData(2, 1e12, 1, 1)] // one natural unit: inline
    [InlineData(2, 1e12, 1000, 2 * IntraOp.PartsPerThread)]
    [InlineData(3, 1e12, 5, 5)] // capped by the units
    [InlineData(2, 3.5 * IntraOp.MinFlopsPerPart, 1000, 3)] // capped by the work
    [InlineData(4, 1.9 * IntraOp.MinFlopsPerPart, 1000, 1)] // under two parts' worth: inline
    public void Parts_FollowThreadsWorkAndUnits(int threads, double flops, int units, int expected) =>
        Assert.Equal(expected, IntraOp.Parts(threads, flops, units));

    [Fact]
    public void NestedRegion_RunsInline_OnThePartsThread_InOrder()
    {
        // A fixed-batch model's chunks run as parts, and their operators may start regions of their own: those must
        // run on the chunk's thread (no helpers of helpers), every part once, in order.
        var work = new NestedWork();
        for (int i = 0; i < 200; i++)
        {
            IntraOp.Run(work, 4, 2);
        }

        Assert.Empty(work.Failures);
        Assert.Equal(800, work.OuterParts);
    }

    private sealed class NestedWork : IntraOp.IWork
    {
        private int _outerParts;

        public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();

        public int OuterParts => Volatile.Read(ref _outerParts);

        public void Run(int part, int parts)
        {
            var inner = new OrderWork(Environment.CurrentManagedThreadId, 8);
            IntraOp.Run(inner, 8, 2);
            if (inner.Problem() is { } problem)
            {
                Failures.Enqueue($"outer part {part}: {problem}");
            }

            Interlocked.Increment(ref _outerParts);
        }
    }

    private sealed class OrderWork(int thread, int parts) : IntraOp.IWork
    {
        private readonly List<(int Part, int Thread)> _runs = new(parts);

        public void Run(int part, int parts) => _runs.Add((part, Environment.CurrentManagedThreadId));

        public string? Problem() =>
            _runs.Count != parts ? $"{_runs.Count} inner parts ran, not {parts}"
            : _runs.Select((r, i) => r.Part != i ? $"inner part {r.Part} ran {i}th" : r.Thread != thread ? $"inner part {r.Part} ran on another thread" : null).FirstOrDefault(p => p is not null);
    }

    private sealed class CountingWork(int capacity) : IntraOp.IWork
    {
        public int[] Counts { get; } = new int[capacity];

        public void Reset(int parts) => Array.Clear(Counts);

        public void Run(int part, int parts) => Interlocked.Increment(ref Counts[part]);
    }

    private sealed class RendezvousWork : IntraOp.IWork
    {
        private int _started;

        public bool Met { get; private set; } = true;

        public int[] Threads { get; } = new int[2];

        public void Run(int part, int parts)
        {
            Threads[part] = Environment.CurrentManagedThreadId;
            Interlocked.Increment(ref _started);
            if (!SpinWait.SpinUntil(() => Volatile.Read(ref _started) == 2, s_rendezvousTimeout))
            {
                Met = false;
            }
        }
    }

    private sealed class FailingWork(int failPart) : IntraOp.IWork
    {
        public void Run(int part, int parts)
        {
            if (part == failPart)
            {
                throw new InvalidOperationException("part " + part);
            }
        }
    }

    /// <summary>Records, on each helper thread that runs a part, its allocated bytes at its first and latest part after <see cref="Start"/>.</summary>
    private sealed class AllocationProbe : IntraOp.IWork
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<int, long[]> _helpers = new();
        private int _owner = -1;
        private volatile bool _recording;

        public void Start()
        {
            _owner = Environment.CurrentManagedThreadId;
            foreach (int id in _helpers.Keys)
            {
                _helpers[id] = [-1, -1];
            }

            _recording = true;
        }

        public long HelperBytes() => _helpers.Values.Where(v => v[0] >= 0).Sum(v => v[1] - v[0]);

        public void Run(int part, int parts)
        {
            int id = Environment.CurrentManagedThreadId;
            if (!_recording)
            {
                _helpers.TryAdd(id, [-1, -1]);
                return;
            }

            if (id == _owner || !_helpers.TryGetValue(id, out long[]? bytes))
            {
                return; // a helper first seen while recording is left out (its dictionary entry would allocate)
            }

            long now = GC.GetAllocatedBytesForCurrentThread();
            if (bytes[0] < 0)
            {
                bytes[0] = now;
            }

            bytes[1] = now;
        }
    }
}
