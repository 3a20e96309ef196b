using System.Runtime.InteropServices;

namespace ModelBuild.Runtime.Execution;

/// <summary>
/// The per-call state of a <see cref="ModelProgram"/> on one thread: each value's current shape and one growable
/// buffer per arena slot. Reused across calls, so a repeated input shape allocates nothing; a larger shape grows
/// the slots it needs (once). Not thread-safe: use one context per thread.
/// </summary>
public sealed unsafe class OpContext
{
    private readonly ModelProgram _program;
    private readonly int[][] _dims;

    // 64-byte aligned (AlignedBuffer): vector loads never straddle cache lines.
    private readonly AlignedBuffer[] _slots;
    private AlignedBuffer _scratch;

    // Buffers outgrown earlier in the current run, reused before allocating fresh pages (SpareBuffers), and where
    // fresh ones come from (ActivationArena: huge-page chunks during the first run of a large model).
    private readonly SpareBuffers _spares = new();
    private readonly ActivationArena _arena = new();

    // Per slot, during a run: the caller's pinned memory of a graph input read in place (ReadInputInPlace), or null.
    private readonly byte*[] _borrowed;
    private readonly int[] _borrowedBytes;
    private bool _borrowing;

    // Per slot: its input was read in place in the last run (until something writes the slot again).
    private readonly bool[] _wasBorrowed;

    /// <summary>A context for <paramref name="program"/>.</summary>
    public OpContext(ModelProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        _program = program;
        _dims = new int[program.Values.Count][];
        for (var i = 0; i < _dims.Length; i++)
        {
            _dims[i] = program.Values[i].IsActivation ? [] : program.Values[i].Shape;
        }

        _slots = new AlignedBuffer[program.SlotCount];
        _borrowed = new byte*[program.SlotCount];
        _borrowedBytes = new int[program.SlotCount];
        _wasBorrowed = new bool[program.SlotCount];
    }

    /// <summary>The program this context runs.</summary>
    public ModelProgram Program => _program;

    /// <summary>The current shape of value <paramref name="value"/>.</summary>
    public ReadOnlySpan<int> Shape(int value) => _dims[value];

    /// <summary>The element count of value <paramref name="value"/>.</summary>
    public int Count(int value) => ShapeMath.Product(_dims[value]);

    /// <summary>Read access to a float tensor (activation or constant).</summary>
    public ReadOnlySpan<float> Floats(int value)
    {
        var decl = _program.Values[value];
        if (!decl.IsActivation)
        {
            return _program.ConstantFloats(value);
        }

        return MemoryMarshal.Cast<byte, float>(SlotBytes(decl.Slot)).Slice(0, Count(value));
    }

    /// <summary>Read access to an int64 tensor.</summary>
    public ReadOnlySpan<long> Longs(int value)
    {
        var decl = _program.Values[value];
        if (!decl.IsActivation)
        {
            return decl.Longs ?? throw new InvalidOperationException($"'{decl.Name}' is not an int64 constant.");
        }

        return MemoryMarshal.Cast<byte, long>(SlotBytes(decl.Slot)).Slice(0, Count(value));
    }

    /// <summary>Read access to a bool tensor (one byte per element, 0 or 1).</summary>
    public ReadOnlySpan<bool> Bools(int value)
    {
        var decl = _program.Values[value];
        if (!decl.IsActivation)
        {
            var longs = decl.Longs ?? throw new InvalidOperationException($"'{decl.Name}' is not a bool constant.");
            // Inline bool constants are tiny; they are materialised once into the slot-less cache below.
            return BoolConstant(value, longs);
        }

        return MemoryMarshal.Cast<byte, bool>(SlotBytes(decl.Slot)).Slice(0, Count(value));
    }

    /// <summary>Bytes per element of value <paramref name="value"/>.</summary>
    public int ElementSize(int value) => ShapeMath.ElementSize(_program.Values[value].Type);

    /// <summary>The element type of value <paramref name="value"/>.</summary>
    public TensorType TypeOf(int value) => _program.Values[value].Type;

    /// <summary>Type-agnostic read access (data movement operators: Concat, Transpose, Gather, Slice…).</summary>
    public ReadOnlySpan<byte> Bytes(int value)
    {
        var decl = _program.Values[value];
        if (decl.IsActivation)
        {
            return SlotBytes(decl.Slot).Slice(0, Count(value) * ElementSize(value));
        }

        return decl.Type switch
        {
            TensorType.Float32 => MemoryMarshal.AsBytes(Floats(value)),
            TensorType.Int64 => MemoryMarshal.AsBytes(Longs(value)),
            _ => MemoryMarshal.AsBytes(Bools(value)),
        };
    }

    /// <summary>Type-agnostic write access to output <paramref name="value"/> with shape <paramref name="shape"/>.</summary>
    public Span<byte> OutputBytes(int value, scoped ReadOnlySpan<int> shape) => Output(value, shape, ElementSize(value));

    /// <summary>Whether two values share storage (an aliasing operator then has nothing to copy).</summary>
    public bool SameStorage(int a, int b)
    {
        var slotA = _program.Values[a].Slot;
        return slotA >= 0 && slotA == _program.Values[b].Slot;
    }

    /// <summary>Sets the shape of output <paramref name="value"/> and returns its float storage (contents undefined).</summary>
    public Span<float> OutputFloats(int value, scoped ReadOnlySpan<int> shape) =>
        MemoryMarshal.Cast<byte, float>(Output(value, shape, sizeof(float)));

    /// <summary>
    /// Sets the shape of output <paramref name="value"/> and returns <paramref name="storageFloats"/> floats of its storage,
    /// keeping what the storage already holds: an operator writing its part of a larger tensor that shares the value's
    /// slot (a Conv writing its channels of a Concat's output, see <c>ConvOp.ConcatChannels</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="storageFloats"/> is smaller than the shape's element count.</exception>
    public Span<float> OutputFloats(int value, scoped ReadOnlySpan<int> shape, int storageFloats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(storageFloats, ShapeMath.Product(shape));
        var whole = MemoryMarshal.Cast<byte, float>(Storage(value, (long)storageFloats * sizeof(float)));
        shape.CopyTo(SetDims(value, shape.Length));
        return whole;
    }

    /// <summary>Sets the shape of output <paramref name="value"/> and returns its int64 storage.</summary>
    public Span<long> OutputLongs(int value, scoped ReadOnlySpan<int> shape) =>
        MemoryMarshal.Cast<byte, long>(Output(value, shape, sizeof(long)));

    /// <summary>Sets the shape of output <paramref name="value"/> and returns its bool storage.</summary>
    public Span<bool> OutputBools(int value, scoped ReadOnlySpan<int> shape) =>
        MemoryMarshal.Cast<byte, bool>(Output(value, shape, sizeof(bool)));

    /// <summary>Per-call scratch memory of at least <paramref name="floats"/> floats (shared by all operators).</summary>
    public Span<float> Scratch(int floats)
    {
        long bytes = (long)floats * sizeof(float);
        if (_scratch.Length < bytes)
        {
            var grown = _spares.Take(bytes);
            _spares.Retire(_scratch);
            _scratch = grown.Length > 0 ? grown : _arena.Allocate(checked((int)bytes), checked((int)Math.Max(bytes, Math.Min(MaxBuffer, 2L * _scratch.Length))));
        }

        return MemoryMarshal.Cast<byte, float>(_scratch.Span).Slice(0, floats);
    }

    /// <summary>The blob matrix <paramref name="entry"/> (Dense/Conv weights; decoded once per process).</summary>
    public WeightMatrix Matrix(int entry) => _program.Blob.Matrix(entry);

    /// <summary>Blob entry <paramref name="entry"/> for Dense: compact formats Dense reads directly stay compact.</summary>
    internal WeightMatrix DenseMatrix(int entry) => _program.Blob.DenseMatrix(entry);

    /// <summary>The blob entry <paramref name="entry"/> as floats (biases, scales), or empty for -1.</summary>
    public ReadOnlySpan<float> BlobFloats(int entry) => entry < 0 ? default : _program.Blob.Floats(entry);

    /// <summary>Copies a caller's input into value <paramref name="value"/> with shape <paramref name="shape"/>.</summary>
    public void SetInput<T>(int value, ReadOnlySpan<T> data, ReadOnlySpan<int> shape)
        where T : unmanaged
    {
        var count = ShapeMath.Product(shape);
        if (data.Length != count)
        {
            throw new ArgumentException(
                $"Input '{_program.Values[value].Name}' of shape {ShapeMath.Format(shape)} needs {count} elements, got {data.Length}.");
        }

        data.CopyTo(MemoryMarshal.Cast<byte, T>(Output(value, shape, System.Runtime.CompilerServices.Unsafe.SizeOf<T>())));
    }

    /// <summary>
    /// Binds input <paramref name="value"/> (shape <paramref name="shape"/>) to the caller's memory for the next run
    /// instead of copying it: operators read it there, and <see cref="EndRun"/> unbinds it. Only for inputs
    /// <see cref="ModelProgram.ReadsInPlace"/> allows (nothing writes their slot) and memory pinned until the run ends.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="count"/> does not match the shape.</exception>
    internal void ReadInputInPlace<T>(int value, T* data, int count, ReadOnlySpan<int> shape)
        where T : unmanaged
    {
        if (count != ShapeMath.Product(shape))
        {
            throw new ArgumentException(
                $"Input '{_program.Values[value].Name}' of shape {ShapeMath.Format(shape)} needs {ShapeMath.Product(shape)} elements, got {count}.");
        }

        int slot = _program.Values[value].Slot;
        int bytes = checked(count * sizeof(T));
        _borrowed[slot] = (byte*)data;
        _borrowedBytes[slot] = bytes;
        _borrowing = true;
        _wasBorrowed[slot] = true;
        shape.CopyTo(SetDims(value, shape.Length));
    }

    /// <summary>Whether input <paramref name="value"/> was read in place in the last run (and not set since).</summary>
    internal bool WasReadInPlace(int value) => _program.Values[value].Slot is int slot && slot >= 0 && _wasBorrowed[slot];

    // A slot's bytes: the caller's memory while an input is read in place, else the slot's own buffer.
    private Span<byte> SlotBytes(int slot)
    {
        if (_borrowing && _borrowed[slot] != null)
        {
            return new Span<byte>(_borrowed[slot], _borrowedBytes[slot]);
        }

        if (_wasBorrowed[slot])
        {
            // The arena never held this input: without this, a read after the run would see older bytes.
            throw new InvalidOperationException(
                "The input was read in place from the caller's memory during the last run and is not kept after it; read the caller's data instead.");
        }

        return _slots[slot].Span;
    }

    private Span<byte> Output(int value, scoped ReadOnlySpan<int> shape, int elementSize)
    {
        var bytes = (long)ShapeMath.Product(shape) * elementSize;
        var storage = Storage(value, bytes);
        shape.CopyTo(SetDims(value, shape.Length));
        return storage;
    }

    /// <summary>At least <paramref name="bytes"/> bytes of value <paramref name="value"/>'s slot, grown (contents kept) when smaller.</summary>
    private Span<byte> Storage(int value, long bytes)
    {
        var decl = _program.Values[value];
        if (!decl.IsActivation)
        {
            throw new InvalidOperationException($"'{decl.Name}' is a constant and cannot be written.");
        }

        if (_borrowing && _borrowed[decl.Slot] != null)
        {
            // A view of an input read in place (same bytes, new shape): nothing is written.
            if (bytes > _borrowedBytes[decl.Slot])
            {
                throw new InvalidOperationException($"'{decl.Name}' shares the storage of an input read in place and cannot grow it.");
            }

            return SlotBytes(decl.Slot).Slice(0, (int)bytes);
        }

        _wasBorrowed[decl.Slot] = false;
        ref var slot = ref _slots[decl.Slot];
        if (slot.Length < bytes)
        {
            // Grow by at least half so slowly growing shapes reallocate rarely; keep the old bytes, because an
            // in-place or aliasing operator may be reading them through this same slot.
            // A spare another slot outgrew earlier in this run comes first: its pages are already touched.
            var grown = _spares.Take(bytes);
            if (grown.Length == 0)
            {
                grown = _arena.Allocate(checked((int)bytes), checked((int)Math.Max(bytes, Math.Min(MaxBuffer, slot.Length + (slot.Length / 2)))));
            }

            slot.Span.CopyTo(grown.Span);
            _spares.Retire(slot);
            slot = grown;
        }

        return slot.Span.Slice(0, (int)bytes);
    }

    /// <summary>Value <paramref name="value"/>'s dims array, resized to <paramref name="rank"/> (reused while the rank stays).</summary>
    private int[] SetDims(int value, int rank)
    {
        var dims = _dims[value];
        if (dims.Length != rank)
        {
            _dims[value] = dims = new int[rank];
        }

        return dims;
    }

    /// <summary>A run starts: slots outgrown from now on are kept for reuse (see <see cref="SpareBuffers"/>).</summary>
    internal void BeginRun() => _spares.Begin();

    /// <summary>An operator of the run returned: the buffers it outgrew may be reused.</summary>
    internal void OperatorDone() => _spares.OperatorDone();

    /// <summary>The run ended (or failed): spares are dropped.</summary>
    internal void EndRun()
    {
        if (_borrowing)
        {
            Array.Clear(_borrowed);
            _borrowing = false;
        }

        _spares.End();
        _arena.FirstRunDone();
    }

    // The largest buffer: an array's limit less the alignment padding.
    private const int MaxBuffer = int.MaxValue - 1024;

    private bool[]?[]? _boolConstants;

    private ReadOnlySpan<bool> BoolConstant(int value, long[] longs)
    {
        _boolConstants ??= new bool[]?[_program.Values.Count];
        return _boolConstants[value] ??= Array.ConvertAll(longs, l => l != 0);
    }
}
