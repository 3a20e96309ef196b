using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime.Execution;

/// <summary>
/// A byte buffer whose first byte is <see cref="Alignment"/>-byte aligned: an arena slot or scratch area of an
/// <see cref="OpContext"/>. A plain <c>byte[]</c> starts 16 bytes past an 8-byte-aligned object header, so a kernel's
/// 32-byte vector loads straddle two cache lines on every other vector; starting each buffer on a cache line removes
/// those split loads and makes the layout (and the speed) the same from run to run.
/// </summary>
/// <remarks>
/// The array is allocated on the pinned object heap, so its address (and the offset computed from it) never changes;
/// it is collected like any other array once the context drops it. Contents start zeroed.
/// </remarks>
internal readonly struct AlignedBuffer
{
    /// <summary>The start alignment in bytes: one cache line, one AVX-512 vector.</summary>
    public const int Alignment = 64;

    private readonly byte[]? _array;
    private readonly int _offset;

    private AlignedBuffer(byte[] array, int offset, int length)
    {
        _array = array;
        _offset = offset;
        Length = length;
    }

    /// <summary>Usable bytes (from the aligned start).</summary>
    public int Length { get; }

    /// <summary>All <see cref="Length"/> usable bytes; empty for a default buffer.</summary>
    public Span<byte> Span => _array is null ? default : _array.AsSpan(_offset, Length);

    /// <summary>
    /// Bytes <paramref name="offset"/> to <paramref name="offset"/> + <paramref name="length"/> of a pinned array, whose
    /// address at <paramref name="offset"/> is <see cref="Alignment"/>-aligned (a cut of an <see cref="ActivationArena"/> chunk).
    /// </summary>
    public static AlignedBuffer Slice(byte[] pinned, int offset, int length) => new(pinned, offset, length);

    /// <summary>A zeroed buffer of <paramref name="length"/> usable bytes starting on an <see cref="Alignment"/> boundary.</summary>
    /// <exception cref="OutOfMemoryException">The pinned heap cannot hold it.</exception>
    public static AlignedBuffer Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var array = GC.AllocateArray<byte>(checked(length + Alignment - 1), pinned: true);
        return new AlignedBuffer(array, BytesToBoundary(array), length);
    }

    /// <summary>Bytes from the start of a pinned array's data to the next <see cref="Alignment"/> boundary (0–63).</summary>
    public static unsafe int BytesToBoundary<T>(T[] pinned)
        where T : unmanaged
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (int)((Alignment - (address & (Alignment - 1))) & (Alignment - 1));
    }
}
