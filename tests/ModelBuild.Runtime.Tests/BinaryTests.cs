namespace ModelBuild.Runtime.Tests;

public sealed class BinaryTests
{
    private static readonly (int[] A, bool AB, int[] B, bool BB, int[] Out)[] Shapes =
    [
        ([37], true, [37], true, [37]),                         // same shape
        ([3, 5, 7], true, [1, 1, 1], false, [3, 5, 7]),         // scalar weight
        ([1, 1, 1], false, [3, 5, 7], true, [3, 5, 7]),         // scalar on the left
        ([16, 9, 9], true, [16, 1, 1], false, [16, 9, 9]),      // per-channel
        ([4, 3, 5], true, [1, 3, 1], false, [4, 3, 5]),         // middle axis
        ([4, 1, 5], true, [1, 3, 1], true, [4, 3, 5]),          // both broadcast, both batched
        ([2, 3, 1, 7], true, [2, 1, 6, 1], false, [2, 3, 6, 7]),
        ([10], false, [10], true, [10]),                        // weight on the left, same shape
        ([5, 1], true, [5, 1], true, [5, 1]),
        ([], true, [], false, []),                              // rank 0: per-sample scalars
        ([2, 1, 1, 9], false, [1, 3, 5, 1], true, [2, 3, 5, 9]), // weight broadcast over batch and inner dims
    ];

    public static TheoryData<int, BinaryFunction, int> Cases()
    {
        var data = new TheoryData<int, BinaryFunction, int>();
        foreach (int level in TestData.Levels)
        {
            foreach (BinaryFunction f in Enum.GetValues<BinaryFunction>())
            {
                for (int i = 0; i < Shapes.Length; i++)
                {
                    data.Add(level, f, i);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Binary_Broadcasting_MatchesReference(int level, BinaryFunction f, int shapeIndex)
    {
        (int[] sa, bool ab, int[] sb, bool bb, int[] so) = Shapes[shapeIndex];
        const int batch = 3;
        var rng = new Random(shapeIndex);

        // Positive operands keep Pow and Div finite.
        float[] a = TestData.Floats(rng, (ab ? batch : 1) * sa.Aggregate(1, (p, d) => p * d), 0.5f, 2);
        float[] b = TestData.Floats(rng, (bb ? batch : 1) * sb.Aggregate(1, (p, d) => p * d), 0.5f, 2);
        var y = new float[batch * so.Aggregate(1, (p, d) => p * d)];

        Kernels.Binary((SimdLevel)level, f, a, sa, ab, b, sb, bb, y, so, batch);

        TestData.AssertClose(Reference.Broadcast(f, a, sa, ab, b, sb, bb, so, batch), y, Tolerances.Elementwise);
    }

    [Fact]
    public void Pow_ScalarTwo_Squares()
    {
        float[] a = [-3, 1.5f, 0, 2, 5, -1, 7, 8, 9];
        var y = new float[a.Length];
        Kernels.Binary(BinaryFunction.Pow, a, [9], true, [2f], [1], false, y, [9], 1);
        Assert.Equal(a.Select(v => v * v), y);
    }

    [Fact]
    public void Binary_PublicEntry_RejectsNonBroadcastableShapes()
    {
        Assert.Throws<ArgumentException>(() => Kernels.Binary(BinaryFunction.Add, new float[6], [2, 3], true, new float[2], [2, 1], false, new float[6], [3, 2], 1));
        var ex = Assert.Throws<ArgumentException>(() => Kernels.Binary(BinaryFunction.Add, new float[6], [2, 3], true, new float[2], [2, 1], false, new float[11], [2, 3], 2));
        Assert.Contains("12", ex.Message, StringComparison.Ordinal);
    }
}
