namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Transpose's merged forms (<c>TransposeForm</c>) and 2-D block kernels at every SIMD level against the float64-free
/// definition (<c>Reference.Transpose</c>, an index walk): NHWC ↔ NCHW with 3 and other channel counts, sizes that leave
/// partial 8-blocks, size-1 dims, copies, and permutations that stay general.
/// </summary>
public sealed class Transpose2DTests
{
    public static TheoryData<int, int[], int[]> Cases()
    {
        var shapes = new (int[] Shape, int[] Perm)[]
        {
            ([32, 32, 3], [2, 0, 1]), // squeezenet's input, per sample
            ([5, 7, 3], [2, 0, 1]), // 35 pixels: a shifted last step
            ([2, 3], [1, 0]), // fewer than 8 pixels: scalar
            ([3, 11, 13], [1, 2, 0]), // NCHW → NHWC, 3 channels: 143 × 3 → 3 × 143 the other way
            ([16, 9, 9], [1, 2, 0]),
            ([9, 9, 16], [2, 0, 1]),
            ([8, 8], [1, 0]),
            ([17, 23], [1, 0]), // partial 8 × 8 blocks on both sides
            ([1, 12, 1, 10], [3, 1, 0, 2]), // size-1 dims dropped: a 12 × 10 swap
            ([4, 6, 5], [0, 2, 1]), // leading dim in place
            ([4, 6, 5, 2], [1, 0, 2, 3]), // trailing dim in place: the odometer
            ([2, 3, 4], [0, 1, 2]), // identity: a copy
            ([3, 4, 5], [2, 1, 0]), // three groups reverse: the odometer
            ([2, 3, 4, 5], [0, 2, 3, 1]),
        };
        var data = new TheoryData<int, int[], int[]>();
        foreach (int level in TestData.Levels)
        {
            foreach (var (shape, perm) in shapes)
            {
                data.Add(level, shape, perm);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Transpose_MatchesDefinition_AllLevels(int level, int[] shape, int[] perm)
    {
        foreach (int batch in new[] { 1, 3 })
        {
            float[] x = TestData.Floats(new Random(shape.Sum()), batch * shape.Aggregate(1, (p, d) => p * d));
            var y = new float[x.Length + 8];
            y.AsSpan(x.Length).Fill(777f);
            Kernels.TransposeAt((SimdLevel)level, x, y, shape, perm, batch);
            Assert.Equal(Reference.Transpose(x, shape, perm, batch), y[..x.Length]);
            Assert.All(y[x.Length..], v => Assert.Equal(777f, v));
        }
    }

    [Fact]
    public void Form_MergesNhwcToNchw_IntoOneSwap()
    {
        var form = TransposeForm.Of([64, 32, 32, 3], [0, 3, 1, 2]);
        Assert.Equal(new TransposeForm(TransposeKind.Swap, 64, 1024, 3, 1), form);
        Assert.Equal(TransposeKind.Copy, TransposeForm.Of([1, 5, 1], [2, 1, 0]).Kind);
        Assert.Equal(new TransposeForm(TransposeKind.Swap, 1, 4, 6, 5), TransposeForm.Of([4, 6, 5], [1, 0, 2]));
        Assert.Equal(TransposeKind.General, TransposeForm.Of([3, 4, 5], [2, 1, 0]).Kind);
    }
}
