using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>Synthetic weights for the kernel harnesses.</summary>
internal static class RandomWeights
{
    /// <summary>An <paramref name="n"/> × <paramref name="k"/> int8 symmetric matrix, codes uniform in [−127, 127], every row scale 0.01.</summary>
    public static WeightMatrix Int8(Random rng, int n, int k)
    {
        var q = new sbyte[n * k];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = (sbyte)rng.Next(-127, 128);
        }

        return new WeightMatrix(n, k, WeightFormat.Int8, [], q, [.. Enumerable.Repeat(0.01f, n)], []);
    }
}
