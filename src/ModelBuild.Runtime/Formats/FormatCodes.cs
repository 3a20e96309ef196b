namespace ModelBuild.Runtime.Formats;

/// <summary>The blob's format codes (CONTRACTS.md §2, docs/FORMATS.md) and the checks every decoder shares.</summary>
internal static class FormatCodes
{
    public const byte Float32 = 1;
    public const byte Int8 = 2;
    public const byte Int8Asymmetric = 3;
    public const byte PackedLinear = 4;
    public const byte Palettized = 5;
    public const byte Float16 = 6;
    public const byte BFloat16 = 7;
    public const byte Sparse = 8;
    public const byte Outliers = 9;

    /// <summary>Opaque bytes (rank 1, dims = [length]): not a weight. The ONNX Runtime fallback keeps its graph here.</summary>
    public const byte Bytes = 10;

    /// <summary>
    /// float32 conv weights with their rows interleaved in blocks of 4 (rows a multiple of 4): value (r, k) at
    /// <c>(r / 4)·4·cols + 4·k + r % 4</c>, the order <see cref="ConvGemm"/>'s tiles read (<see cref="ConvGemm.PackInto"/>
    /// for any rows per group that is a multiple of 4). Read in place by <see cref="WeightMatrix.PackedConv"/>.
    /// </summary>
    public const byte Float32ConvBlocks = 11;

    /// <summary>True for the codes this runtime reads.</summary>
    public static bool IsKnown(byte code) => code is >= Float32 and <= Float32ConvBlocks;

    /// <summary>True for the codes decoded to float32 at load (everything the kernels do not read directly).</summary>
    public static bool IsCompact(byte code) => code is >= PackedLinear and <= Outliers;

    public static string Name(byte code) => code switch
    {
        Float32 => "float32",
        Int8 => "int8",
        Int8Asymmetric => "int8a",
        PackedLinear => "packed linear",
        Palettized => "palettized",
        Float16 => "fp16",
        BFloat16 => "bf16",
        Sparse => "sparse",
        Outliers => "outliers",
        Bytes => "bytes",
        Float32ConvBlocks => "float32 conv blocks",
        _ => $"format {code}",
    };

    public static InvalidDataException Fail(string where, string message) => WeightBlob.Bad($"{where}: {message}");

    /// <summary>The payload must be exactly <paramref name="expected"/> bytes.</summary>
    public static void Expect(long actual, long expected, string where, string what)
    {
        if (actual != expected)
        {
            throw Fail(where, $"{actual} bytes but {what} needs exactly {expected}");
        }
    }

    public static void AtLeast(long actual, long minimum, string where, string what)
    {
        if (actual < minimum)
        {
            throw Fail(where, $"{actual} bytes is shorter than the {minimum}-byte {what} header");
        }
    }

    /// <summary>The unused high bits of a packed stream's last byte must be 0 (so every stream has one spelling).</summary>
    public static void CheckPadding(ReadOnlySpan<byte> packed, long bitCount, string where)
    {
        int used = (int)(bitCount % 8);
        if (used != 0 && (packed[^1] >> used) != 0)
        {
            throw Fail(where, "the packed stream's unused last bits are not 0");
        }
    }

    /// <summary>Every base-3 byte must be below 243, and the last byte's unused trits 0.</summary>
    public static void CheckTernary(ReadOnlySpan<byte> packed, long count, string where)
    {
        int last = (int)(count % 5);
        int limit = last == 0 ? 243 : (int)Math.Pow(3, last);
        for (int i = 0; i < packed.Length; i++)
        {
            if (packed[i] >= (i == packed.Length - 1 ? limit : 243))
            {
                throw Fail(where, $"ternary byte {i} is {packed[i]}, not a valid group of 5 trits");
            }
        }
    }

    public static int Pad4(int length) => (length + 3) & ~3;
}
