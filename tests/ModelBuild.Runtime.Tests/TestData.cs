namespace ModelBuild.Runtime.Tests;

/// <summary>Seeded random inputs and weight matrices (built through the blob, so the decoder is exercised too).</summary>
internal static class TestData
{
    /// <summary>The SIMD levels to test: all three run everywhere (unaccelerated vectors are emulated).</summary>
    public static TheoryData<int> Levels => new() { 0, 1, 2 };

    public static float[] Floats(Random rng, int n, float lo = -1, float hi = 1)
    {
        var r = new float[n];
        for (int i = 0; i < n; i++)
        {
            r[i] = lo + ((hi - lo) * rng.NextSingle());
        }

        return r;
    }

    /// <summary>A random <paramref name="rows"/>×<paramref name="cols"/> matrix and its exact values in float64.</summary>
    public static (WeightMatrix Matrix, double[] Values) Matrix(Random rng, WeightFormat format, int rows, int cols)
    {
        var values = new double[rows * cols];
        byte[] data;
        if (format == WeightFormat.Float32)
        {
            float[] f = Floats(rng, rows * cols);
            data = BlobWriter.Float32(f);
            for (int i = 0; i < f.Length; i++)
            {
                values[i] = f[i];
            }
        }
        else
        {
            var q = new sbyte[rows * cols];
            float[] scales = Floats(rng, rows, 0.001f, 0.02f);
            var zp = new sbyte[rows];
            for (int r = 0; r < rows; r++)
            {
                zp[r] = format == WeightFormat.Int8Asymmetric ? (sbyte)rng.Next(-30, 31) : (sbyte)0;
                for (int c = 0; c < cols; c++)
                {
                    q[(r * cols) + c] = (sbyte)rng.Next(-127, 128);
                    values[(r * cols) + c] = ((double)q[(r * cols) + c] - zp[r]) * scales[r];
                }
            }

            data = format == WeightFormat.Int8 ? BlobWriter.Int8(scales, q) : BlobWriter.Int8Asymmetric(scales, zp, q);
        }

        byte[] blob = BlobWriter.Write([new BlobEntrySpec("w", format, [rows, cols], data)]);
        return (WeightBlob.Load(blob).Matrix(0), values);
    }

    public static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double relative, double absolute = 0, double[]? magnitude = null)
    {
        Assert.True(actual.Length >= expected.Length, $"output has {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) || double.IsInfinity(e))
            {
                Assert.True(e.Equals(a), $"[{i}]: expected {e}, got {a}");
                continue;
            }

            double scale = magnitude is null ? Math.Abs(e) : magnitude[i];
            double tol = absolute + (relative * scale);
            Assert.True(Math.Abs(a - e) <= tol, $"[{i}]: expected {e:R}, got {a:R} (|diff| {Math.Abs(a - e):E2} > {tol:E2})");
        }
    }

    /// <summary>Every SIMD level × weight format × (rows, N, K) size: the cases of the Dense and GEMM kernel tests.</summary>
    public static TheoryData<int, WeightFormat, int, int, int> LevelFormatSizes((int Rows, int N, int K)[] sizes)
    {
        var data = new TheoryData<int, WeightFormat, int, int, int>();
        foreach (int level in Levels)
        {
            foreach (WeightFormat f in Enum.GetValues<WeightFormat>())
            {
                foreach ((int rows, int n, int k) in sizes)
                {
                    data.Add(level, f, rows, n, k);
                }
            }
        }

        return data;
    }

}
