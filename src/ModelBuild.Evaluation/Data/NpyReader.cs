using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelBuild.Evaluation.Data;

/// <summary>An array read from a .npy file: its shape and its values converted to float.</summary>
public sealed record NpyArray(int[] Shape, float[] Data);

/// <summary>
/// Reads NumPy .npy files (format versions 1, 2 and 3) holding little-endian float32 (<c>&lt;f4</c>) or
/// uint8 (<c>|u1</c>, converted to float) data in C order.
/// </summary>
public static partial class NpyReader
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the file. Errors: MB4002 (malformed or unsupported), MB4003 (missing).</summary>
    public static NpyArray Read(string path)
    {
        byte[] bytes = DataFiles.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw DataFiles.Bad(path, "it does not start with the .npy magic \\x93NUMPY");
        }

        int major = bytes[6];
        int headerStart = major == 1 ? 10 : 12;
        if (major is < 1 or > 3 || bytes.Length < headerStart)
        {
            throw DataFiles.Bad(path, $".npy format version {major}.{bytes[7]} is not supported (1, 2 and 3 are)");
        }

        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (headerStart + headerLength > bytes.Length)
        {
            throw DataFiles.Bad(path, $"the header claims {headerLength} bytes but the file ends first");
        }

        var encoding = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        string header = encoding.GetString(bytes, headerStart, (int)headerLength);
        var (descr, shape) = ParseHeader(path, header);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        int itemSize = descr == "<f4" ? 4 : 1;
        long dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != count * itemSize)
        {
            throw DataFiles.Bad(path, $"shape ({string.Join(",", shape)}) of '{descr}' needs {count * itemSize} data bytes but the file has {bytes.Length - dataStart}");
        }

        var data = new float[count];
        var payload = bytes.AsSpan((int)dataStart);
        if (itemSize == 4)
        {
            LittleEndian.CopyFloats(payload, data);
        }
        else
        {
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = payload[i];
            }
        }

        return new NpyArray(shape, data);
    }

    private static (string Descr, int[] Shape) ParseHeader(string path, string header)
    {
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
        {
            throw DataFiles.Bad(path, $"the header {header.Trim()} lacks 'descr', 'fortran_order' or 'shape'");
        }

        string type = descr.Groups[1].Value;
        if (type is "<u1" or ">u1" or "u1")
        {
            type = "|u1";
        }

        if (type is not ("<f4" or "|u1"))
        {
            throw DataFiles.Bad(path, $"dtype '{type}' is not supported; save the array as float32 ('<f4') or uint8 ('|u1')");
        }

        if (fortran.Groups[1].Value == "True")
        {
            throw DataFiles.Bad(path, "the array is stored in Fortran order; save it with np.ascontiguousarray first");
        }

        var dims = new List<int>();
        foreach (var part in shape.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
            {
                throw DataFiles.Bad(path, $"shape entry '{part}' is not a non-negative integer");
            }

            dims.Add(d);
        }

        return (type, dims.ToArray());
    }

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
