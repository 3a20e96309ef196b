using System.Threading;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Execution;

/// <summary>
/// A model ready to run: its tensors (<see cref="ValueDecl"/>), its operator calls in order and its weights.
/// Shared by all threads; per-call state lives in an <see cref="OpContext"/> (one per thread).
/// </summary>
public sealed class ModelProgram
{
    private readonly Func<WeightBlob> _loadBlob;
    private readonly object _gate = new();
    private WeightBlob? _blob;
    private float[]?[]? _constants;

    /// <param name="values">Every tensor the operators read or write, indexed by value id.</param>
    /// <param name="ops">The operator calls, in execution order.</param>
    /// <param name="inputs">The value ids of the graph inputs, in ONNX order.</param>
    /// <param name="outputs">The value ids of the graph outputs, in ONNX order.</param>
    /// <param name="loadBlob">Loads the weights blob; called once, on first use.</param>
    public ModelProgram(ValueDecl[] values, Op[] ops, int[] inputs, int[] outputs, Func<WeightBlob> loadBlob)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(ops);
        Values = values;
        Ops = ops;
        Inputs = inputs;
        Outputs = outputs;
        _loadBlob = loadBlob;
        var slots = 0;
        foreach (var v in values)
        {
            slots = Math.Max(slots, v.Slot + 1);
        }

        SlotCount = slots;
        _inPlaceInputs = InPlaceInputs(values, ops, inputs, outputs);
    }

    // Per value id: whether it is a graph input read in place (see ReadsInPlace).
    private readonly bool[] _inPlaceInputs;

    /// <summary>
    /// Whether graph input <paramref name="value"/> can be read in place from the caller's memory during a run
    /// (<see cref="Predictors.Run{T}"/>) instead of being copied into its arena slot: its slot holds only the input and
    /// views of it (Reshape, Flatten, Squeeze, Unsqueeze, Identity of a value in the same slot), so no operator writes
    /// that memory, and none of those values is a graph output (read after the run, when the caller's memory is no
    /// longer pinned). The planner gives inputs a slot of their own for this; a plan where a later value reuses the
    /// slot, or an operator works in place on the input, keeps the copy.
    /// </summary>
    public bool ReadsInPlace(int value) => (uint)value < (uint)_inPlaceInputs.Length && _inPlaceInputs[value];

    private static bool[] InPlaceInputs(ValueDecl[] values, Op[] ops, int[] inputs, int[] outputs)
    {
        var result = new bool[values.Length];
        foreach (var input in inputs)
        {
            int slot = (uint)input < (uint)values.Length ? values[input].Slot : -1;
            if (slot < 0)
            {
                continue;
            }

            // Every other value in the slot must be written by a view whose input is in the slot too.
            var others = new HashSet<int>();
            for (int v = 0; v < values.Length; v++)
            {
                if (v != input && values[v].Slot == slot)
                {
                    others.Add(v);
                }
            }

            foreach (var op in ops)
            {
                if (op is ViewOp view && (uint)view.X < (uint)values.Length && values[view.X].Slot == slot)
                {
                    others.Remove(view.Y);
                }
            }

            result[input] = others.Count == 0 && !outputs.Any(o => (uint)o < (uint)values.Length && values[o].Slot == slot);
        }

        return result;
    }

    /// <summary>The tensors, indexed by value id.</summary>
    public IReadOnlyList<ValueDecl> Values { get; }

    /// <summary>The operator calls in execution order.</summary>
    public IReadOnlyList<Op> Ops { get; }

    /// <summary>Value ids of the graph inputs.</summary>
    public IReadOnlyList<int> Inputs { get; }

    /// <summary>Value ids of the graph outputs.</summary>
    public IReadOnlyList<int> Outputs { get; }

    /// <summary>Number of arena slots (activation buffers reused by liveness).</summary>
    public int SlotCount { get; }

    /// <summary>
    /// Threads one prediction may use inside an operator (batched Dense and Conv split their output channels,
    /// rows or pixels; a batch run in chunks shares the chunks out, see <see cref="BatchChunks"/>;
    /// each output is computed as with one thread, so results are bit-identical). Default 1: every
    /// operator runs on the calling thread and allocates nothing. Helper threads belong to the calling thread and
    /// are created on its first parallel call. Read at each operator, so a change applies to the next prediction.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 1 or above 64.</exception>
    public int IntraOpThreads
    {
        get => _intraOpThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 64);
            _intraOpThreads = value;
        }
    }

    private int _intraOpThreads = 1;

    /// <summary>
    /// Activation bytes one chunk of a batch may keep live (default 512 KiB, a core's L2 cache on most x86 CPUs; 0 runs
    /// every batch whole). A model that keeps samples apart (<see cref="SampleFlow"/>), whose weights fit the budget and
    /// whose batch needs more runs as chunks of that many bytes' worth of samples (<see cref="BatchChunks"/>); the
    /// chunks stay in the cache the layers hand them through. How a batch is cut decides which kernels run, so a
    /// different value can change the last bits of the results (as a different batch size can); the thread count
    /// never does.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int BatchChunkBytes
    {
        get => _batchChunkBytes;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _batchChunkBytes = value;
        }
    }

    private int _batchChunkBytes = DefaultBatchChunkBytes;

    /// <summary>The default <see cref="BatchChunkBytes"/>.</summary>
    public const int DefaultBatchChunkBytes = 512 * 1024;

    // Live activation bytes per sample, learned from the first probe run; -1 when the samples are not kept apart.
    private long _bytesPerSample;

    // The weights' stored bytes, read after the probe run (0 when it loaded no blob).
    private long _weightBytes;

    /// <summary>
    /// How many samples one chunk of a batch may hold under <see cref="BatchChunkBytes"/>, or 0 when the program does not
    /// keep samples apart or its weights exceed the budget. The first call runs the first
    /// <see cref="SampleFlow.ProbeBatch"/> samples of <paramref name="input"/> alone (on the calling thread's context)
    /// to find out; later calls read the answer.
    /// </summary>
    internal int ChunkSamples<T>(ChunkRunner<T> run, ReadOnlySpan<T> input, ReadOnlySpan<int> shape, int inputPerSample)
        where T : unmanaged
    {
        long perSample = Volatile.Read(ref _bytesPerSample);
        if (perSample == 0)
        {
            Span<int> probeShape = stackalloc int[shape.Length];
            shape.CopyTo(probeShape);
            probeShape[0] = SampleFlow.ProbeBatch;
            try
            {
                var context = run(input[..(SampleFlow.ProbeBatch * inputPerSample)], probeShape);
                perSample = SampleFlow.Holds(this, context) ? Math.Max(1, ActivationBytes(context) / SampleFlow.ProbeBatch) : -1;
                _weightBytes = Volatile.Read(ref _blob)?.PayloadBytes ?? 0;
            }
            catch (ArgumentException)
            {
                // Two samples do not fit the model (a constant or reshape baked in for the export's batch): its batch
                // is not free, so it runs whole, as it did before chunks existed, and reports its own errors there.
                perSample = -1;
            }

            Volatile.Write(ref _bytesPerSample, perSample);
        }

        // Each chunk streams the weights again: worth it only while they are smaller than the activations a chunk
        // keeps in the cache. Cutting k chunks trades k × weights for the batch's activations (k × budget), so the
        // rule is weights < budget: squeezenet (78 KB int8) and mnist_cnn_fc128 (423 KB) chunk, the wide MLP of
        // issue 12 (1.8 MB) measured 1.08–1.12× slower in two halves and runs whole.
        if (perSample < 0 || Volatile.Read(ref _weightBytes) > BatchChunkBytes)
        {
            return 0;
        }

        return (int)Math.Min(int.MaxValue, Math.Max(1, BatchChunkBytes / perSample));
    }

    /// <summary>The bytes of <paramref name="context"/>'s slots at its current shapes: per slot the largest value it held.</summary>
    private long ActivationBytes(OpContext context)
    {
        var largest = new long[SlotCount];
        for (int v = 0; v < Values.Count; v++)
        {
            int slot = Values[v].Slot;
            if (slot >= 0)
            {
                largest[slot] = Math.Max(largest[slot], (long)context.Count(v) * context.ElementSize(v));
            }
        }

        // An input the probe read in place took no arena memory (its slot holds only it and its views).
        foreach (int input in Inputs)
        {
            if (context.WasReadInPlace(input))
            {
                largest[Values[input].Slot] = 0;
            }
        }

        return largest.Sum();
    }

    /// <summary>The weights blob, loaded on first use (thread-safe).</summary>
    public WeightBlob Blob
    {
        get
        {
            if (Volatile.Read(ref _blob) is { } blob)
            {
                return blob;
            }

            lock (_gate)
            {
                _constants ??= new float[]?[Values.Count];
                if (_blob is null)
                {
                    // Published last, with release semantics: a thread that sees the blob also sees _constants (ARM64).
                    Volatile.Write(ref _blob, _loadBlob());
                }

                return _blob;
            }
        }
    }

    /// <summary>Runs every operator on <paramref name="context"/>, whose inputs are already set.</summary>
    public void Run(OpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ops = Ops;
        context.BeginRun();
        try
        {
            for (var i = 0; i < ops.Count; i++)
            {
                ops[i].Execute(context);
                context.OperatorDone();
            }
        }
        finally
        {
            context.EndRun();
        }
    }

    /// <summary>The decoded values of a float constant (blob entries are decoded once and shared).</summary>
    internal float[] ConstantFloats(int value)
    {
        var decl = Values[value];
        if (decl.Floats is { } inline)
        {
            return inline;
        }

        var blob = Blob;
        var cache = _constants!;
        if (Volatile.Read(ref cache[value]) is { } cached)
        {
            return cached;
        }

        var floats = blob.Floats(decl.BlobEntry);
        Volatile.Write(ref cache[value], floats);
        return floats;
    }
}
