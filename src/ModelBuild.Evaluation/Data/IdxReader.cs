using System.Buffers.Binary;

namespace ModelBuild.Evaluation.Data;

/// <summary>Images from an IDX file: <paramref name="Count"/> images of rows×cols bytes, row-major, image after image.</summary>
public sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels);

/// <summary>
/// Reads unsigned-byte IDX files (the MNIST format: big-endian header, magic <c>00 00 08 ndim</c>), plain or gzipped.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads a 3-dimensional image file. Errors: MB4002 (malformed), MB4003 (missing).</summary>
    public static IdxImages ReadImages(string path)
    {
        var (dims, data) = Read(path, 3);
        return new IdxImages(dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads a 1-dimensional label file. Errors: MB4002 (malformed), MB4003 (missing).</summary>
    public static byte[] ReadLabels(string path) => Read(path, 1).Data;

    private static (int[] Dims, byte[] Data) Read(string path, int rank)
    {
        byte[] bytes = DataFiles.ReadMaybeGzip(path);
        string kind = rank == 3 ? "image" : "label";
        if (bytes.Length < 4)
        {
            throw DataFiles.Bad(path, $"{bytes.Length} bytes is too short for an IDX header");
        }

        if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != UnsignedByte || bytes[3] != rank)
        {
            throw DataFiles.Bad(path, $"magic {bytes[0]:x2} {bytes[1]:x2} {bytes[2]:x2} {bytes[3]:x2} is not an unsigned-byte IDX {kind} file (expected 00 00 08 {rank:x2})");
        }

        int header = 4 + (4 * rank);
        if (bytes.Length < header)
        {
            throw DataFiles.Bad(path, $"the header needs {header} bytes but the file has {bytes.Length}");
        }

        var dims = new int[rank];
        long expected = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + (4 * i)));
            if (dims[i] < 0 || (i > 0 && dims[i] == 0))
            {
                throw DataFiles.Bad(path, $"dimension {i} is {dims[i]}");
            }

            expected *= dims[i];
        }

        if (bytes.Length - header != expected)
        {
            throw DataFiles.Bad(path, $"the header [{string.Join("x", dims)}] needs {expected} data bytes but the file has {bytes.Length - header}");
        }

        return (dims, bytes.AsSpan(header).ToArray());
    }
}
