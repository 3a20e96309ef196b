using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ModelBuild.Evaluation.Data;

internal static class LittleEndian
{
    public static void CopyFloats(ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(source)[..destination.Length].CopyTo(destination);
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
        }
    }
}
