using System.Runtime.ExceptionServices;

namespace ModelBuild.Runtime;

/// <summary>
/// Opt-in intra-op parallelism: runs the parts of one kernel call on the calling thread and on helper threads that
/// the calling thread owns (created on its first parallel call, reused afterwards, background threads). Kernels split
/// only independent outputs (output channels, rows, pixels), so every output is computed by the same instructions in
/// the same order whatever the thread count: results are bit-identical to one thread.
/// </summary>
/// <remarks>
/// Each calling thread has its own helpers ([ThreadStatic]), so concurrent predictions never share or wait for each
/// other's helpers. A call with one part runs inline and allocates nothing; a parallel call allocates nothing after
/// the calling thread's first parallel call with that many parts.
/// </remarks>
internal sealed class IntraOp
{
    /// <summary>One kernel call split into parts; <see cref="Run"/> is called once per part, in any order, on any thread.</summary>
    internal interface IWork
    {
        void Run(int part, int parts);
    }

    [ThreadStatic]
    private static IntraOp? t_pool;

    private readonly List<Helper> _helpers = [];
    private readonly ManualResetEventSlim _done = new(false);
    private int _pending;
    private Exception? _error;

    /// <summary>Runs <paramref name="work"/>'s <paramref name="parts"/> parts, part 0 on the calling thread; returns when all are done.</summary>
    /// <exception cref="Exception">The first exception a part threw, rethrown on the calling thread.</exception>
    public static void Run(IWork work, int parts)
    {
        if (parts <= 1)
        {
            work.Run(0, 1);
            return;
        }

        (t_pool ??= new IntraOp()).Execute(work, parts);
    }

    private void Execute(IWork work, int parts)
    {
        while (_helpers.Count < parts - 1)
        {
            _helpers.Add(new Helper(this));
        }

        _done.Reset();
        _error = null;
        Volatile.Write(ref _pending, parts - 1);
        for (int i = 1; i < parts; i++)
        {
            _helpers[i - 1].Start(work, i, parts);
        }

        try
        {
            work.Run(0, parts);
        }
        finally
        {
            // Always wait for the event (not only while _pending > 0): the last helper sets it after its decrement,
            // and a set arriving after the next call's Reset would end that call's wait early.
            _done.Wait();
        }

        if (_error is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }

    private void Finished(Exception? error)
    {
        if (error is not null)
        {
            Interlocked.CompareExchange(ref _error, error, null);
        }

        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _done.Set();
        }
    }

    private sealed class Helper
    {
        private readonly IntraOp _owner;
        private readonly SemaphoreSlim _go = new(0);
        private IWork? _work;
        private int _part;
        private int _parts;

        public Helper(IntraOp owner)
        {
            _owner = owner;
            new Thread(Loop) { IsBackground = true, Name = "ModelBuild intra-op helper" }.Start();
        }

        public void Start(IWork work, int part, int parts)
        {
            _work = work;
            _part = part;
            _parts = parts;
            _go.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                Exception? error = null;
                try
                {
                    _work!.Run(_part, _parts);
                }
                catch (Exception e)
                {
                    error = e;
                }

                _work = null;
                _owner.Finished(error);
            }
        }
    }
}
