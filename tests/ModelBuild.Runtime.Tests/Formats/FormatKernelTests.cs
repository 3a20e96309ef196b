using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>Each vector path of the format decoders against its scalar reference and an independent reference.</summary>
public sealed class FormatKernelTests
{
    public static TheoryData<int, int, int> BitsLevelsLengths()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int bits in Enumerable.Range(1, 8))
        {
            foreach (int level in new[] { 0, 1, 2 })
            {
                foreach (int n in new[] { 0, 1, 3, 15, 16, 33, 65, 255, 1001 })
                {
                    data.Add(bits, level, n);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BitsLevelsLengths))]
    public void Unpack_matches_the_bitwise_reference(int bits, int level, int n)
    {
        var rng = new Random((bits * 1000) + n);
        int[] codes = Enumerable.Range(0, n).Select(_ => rng.Next(1 << bits)).ToArray();
        byte[] packed = TestPack.Bits(codes, bits);
        var scalar = new byte[n];
        var simd = new byte[n];
        Unpack.BitsScalar(packed, bits, scalar);
        Unpack.Bits(packed, bits, simd, (SimdLevel)level);
        Assert.Equal(codes, scalar.Select(b => (int)b));
        Assert.Equal(scalar, simd);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(11)]
    [InlineData(999)]
    public void Ternary_unpack_matches_base3(int n)
    {
        var rng = new Random(n);
        int[] trits = Enumerable.Range(0, n).Select(_ => rng.Next(3)).ToArray();
        var decoded = new byte[n];
        Unpack.Ternary(TestPack.Trits(trits), decoded);
        Assert.Equal(trits, decoded.Select(b => (int)b));
    }

    [Theory]
    [InlineData(0, 37)]
    [InlineData(1, 37)]
    [InlineData(2, 37)]
    [InlineData(2, 8)]
    [InlineData(1, 3)]
    public void Dequantize_paths_equal_the_float64_reference(int level, int n)
    {
        var rng = new Random(n + level);
        byte[] codes = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(256)).ToArray();
        const float Offset = 128 + -3, Scale = 0.0123f;
        var simd = new float[n];
        Expand.Dequantize(codes, Offset, Scale, simd, (SimdLevel)level);

        // (u − offset) is an exact integer; one correctly rounded multiply in float64 then float32 is the same value.
        Assert.Equal(codes.Select(u => (float)((u - 125.0) * (double)Scale)), simd);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Half_to_single_is_exact_for_all_65536_patterns(int level)
    {
        ushort[] all = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var expected = new float[all.Length];
        var actual = new float[all.Length];
        Expand.HalfToSingleScalar(all, expected);
        Expand.HalfToSingle(all.AsSpan(0, 65533), actual, (SimdLevel)level); // odd length: exercise the tail
        Expand.HalfToSingle(all.AsSpan(65533), actual.AsSpan(65533), (SimdLevel)level);
        for (int i = 0; i < all.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"half 0x{i:x4}: {expected[i]} vs {actual[i]}");
        }

        // An independent check of a few values from the IEEE 754 definition.
        Assert.Equal(1f, expected[0x3C00]);
        Assert.Equal(-2f, expected[0xC000]);
        Assert.Equal(MathF.Pow(2, -24), expected[0x0001]);
        Assert.Equal(65504f, expected[0x7BFF]);
        Assert.Equal(float.PositiveInfinity, expected[0x7C00]);
    }

    [Fact]
    public void BFloat16_is_the_top_half_of_a_float()
    {
        float[] values = [1.5f, -3.25f, 0f, float.NegativeInfinity, 1e-40f];
        ushort[] bits = values.Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray();
        var decoded = new float[values.Length];
        Expand.BFloat16ToSingle(bits, decoded);
        Assert.Equal(values.Select(v => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & 0xFFFF0000)), decoded);
    }

    [Theory]
    [InlineData(0, 1, 7)]
    [InlineData(1, 2, 13)]
    [InlineData(2, 4, 37)]
    [InlineData(2, 8, 1003)]
    [InlineData(1, 8, 5)]
    public void Codebook_lookup_paths_equal_the_scalar_reference(int level, int bits, int n)
    {
        var rng = new Random(n);
        float[] table = Enumerable.Range(0, 1 << bits).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        byte[] indices = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(1 << bits)).ToArray();
        var scalar = new float[n];
        var simd = new float[n];
        Expand.LookupScalar(indices, table, scalar);
        Expand.Lookup(indices, table, simd, (SimdLevel)level);
        Assert.Equal(indices.Select(i => table[i]), scalar);
        Assert.Equal(scalar, simd);
    }
}
