namespace ModelBuild.Compression.Planning;

/// <summary>
/// Places activation buffers in one arena. A buffer lives from the op that writes it to the last op that reads
/// it; buffers whose lives do not overlap share memory (first fit, lowest offset), which keeps the arena of a
/// deep network close to its two largest neighbouring activations instead of the sum of all of them.
/// </summary>
internal sealed class BufferAllocator
{
    private readonly List<Interval> _buffers = new();

    /// <summary>Declares a buffer written by op <paramref name="firstOp"/> (−1 for graph inputs); returns its id.</summary>
    public int Declare(int size, int firstOp)
    {
        _buffers.Add(new Interval(size, firstOp));
        return _buffers.Count - 1;
    }

    public int Size(int id) => _buffers[id].Size;

    /// <summary>Records that op <paramref name="op"/> reads buffer <paramref name="id"/>.</summary>
    public void Use(int id, int op) => _buffers[id].LastOp = Math.Max(_buffers[id].LastOp, op);

    /// <summary>Keeps a buffer alive to the end (graph outputs).</summary>
    public void Pin(int id) => _buffers[id].LastOp = int.MaxValue;

    /// <summary>Assigns offsets; returns the buffers and the arena's per-sample size in floats.</summary>
    public (List<PlanBuffer> Buffers, int PerSample) Assign()
    {
        var offsets = new int[_buffers.Count];
        var live = new List<int>();
        long arena = 0;
        var order = Enumerable.Range(0, _buffers.Count).OrderBy(i => _buffers[i].FirstOp).ThenBy(i => i);
        foreach (var id in order)
        {
            var b = _buffers[id];
            live.RemoveAll(other => _buffers[other].LastOp < b.FirstOp);
            long candidate = 0;
            foreach (var other in live.OrderBy(o => offsets[o]))
            {
                if (candidate + b.Size <= offsets[other])
                {
                    break;
                }

                candidate = Math.Max(candidate, (long)offsets[other] + _buffers[other].Size);
            }

            offsets[id] = checked((int)candidate);
            arena = Math.Max(arena, candidate + b.Size);
            live.Add(id);
        }

        var buffers = _buffers.Select((b, i) => new PlanBuffer(i, offsets[i], b.Size)).ToList();
        return (buffers, checked((int)arena));
    }

    private sealed class Interval(int size, int firstOp)
    {
        public int Size { get; } = size;

        public int FirstOp { get; } = firstOp;

        public int LastOp { get; set; } = firstOp;
    }
}
