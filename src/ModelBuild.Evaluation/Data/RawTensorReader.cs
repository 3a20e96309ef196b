namespace ModelBuild.Evaluation.Data;

/// <summary>Reads headerless little-endian float32 files holding whole samples back to back.</summary>
public static class RawTensorReader
{
    /// <summary>
    /// Reads all samples; the sample count is <c>result.Length / product(sampleShape)</c>.
    /// Errors: MB4002 when the length is not a whole number of samples, MB4003 when missing.
    /// </summary>
    public static float[] ReadFloat32(string path, int[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Any(d => d <= 0))
        {
            throw new ArgumentException($"Sample shape [{string.Join(",", sampleShape)}] must have positive dimensions.", nameof(sampleShape));
        }

        byte[] bytes = DataFiles.ReadAllBytes(path);
        long sampleBytes = sampleShape.Aggregate(4L, (a, d) => a * d);
        if (bytes.Length % sampleBytes != 0)
        {
            throw DataFiles.Bad(path, $"{bytes.Length} bytes is not a whole number of float32 samples of shape [{string.Join(",", sampleShape)}] ({sampleBytes} bytes each)");
        }

        var data = new float[bytes.Length / 4];
        LittleEndian.CopyFloats(bytes, data);
        return data;
    }
}
