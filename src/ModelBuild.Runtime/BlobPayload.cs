using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

/// <summary>
/// The payload bytes of a weights blob at a fixed address, so weight matrices can be views into it instead of copies:
/// either the assembly's manifest resource in place (mapped with the assembly's image; the assembly is kept
/// reachable so a collectible one is not unloaded under the views) or a pinned array (a copied or decompressed
/// payload, on the pinned object heap).
/// </summary>
internal sealed unsafe class BlobPayload
{
    private readonly object _owner;

    private BlobPayload(byte* start, long length, object owner)
    {
        Start = start;
        Length = length;
        _owner = owner;
    }

    /// <summary>The first payload byte.</summary>
    public byte* Start { get; }

    /// <summary>Payload length in bytes.</summary>
    public long Length { get; }

    /// <summary>What keeps <see cref="Start"/> valid (an <see cref="System.Reflection.Assembly"/> or the pinned array).</summary>
    public object Owner => _owner;

    /// <summary>A pinned array of <paramref name="length"/> bytes for the caller to fill (Brotli output).</summary>
    public static (BlobPayload Payload, byte[] Buffer) Allocate(int length)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        return (new BlobPayload((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)), length, buffer), buffer);
    }

    /// <summary>A pinned copy of <paramref name="bytes"/>.</summary>
    public static BlobPayload Copy(ReadOnlySpan<byte> bytes)
    {
        (BlobPayload payload, byte[] buffer) = Allocate(bytes.Length);
        bytes.CopyTo(buffer);
        return payload;
    }

    /// <summary>Bytes that stay at their address as long as <paramref name="owner"/> is reachable.</summary>
    public static BlobPayload InPlace(byte* start, long length, object owner) => new(start, length, owner);

    /// <summary>Bytes <paramref name="offset"/>.. of the payload (the entry table checked the range).</summary>
    public ReadOnlySpan<byte> Slice(ulong offset, ulong length) => new(Start + offset, checked((int)length));

    /// <summary>The address of byte <paramref name="offset"/>.</summary>
    public nint At(ulong offset) => (nint)(Start + offset);
}
