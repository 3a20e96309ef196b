using System.Text;

namespace ModelBuild.Evaluation.Tests;

/// <summary>Writes .npy files byte by byte, the way numpy.save lays them out.</summary>
internal static class NpyFiles
{
    public static void Write(string path, string descr, int[] shape, byte[] data, bool fortran = false, int version = 1)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': ({dims}), }}";
        int prefix = version == 1 ? 10 : 12;
        // numpy pads the header with spaces and a final newline so the data starts on a 64-byte boundary.
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - prefix - 1) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        if (version == 1)
        {
            stream.Write(BitConverter.GetBytes((ushort)header.Length));
        }
        else
        {
            stream.Write(BitConverter.GetBytes((uint)header.Length));
        }

        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(data);
    }

    public static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();
}
