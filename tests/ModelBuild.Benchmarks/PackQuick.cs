using System.Diagnostics;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- quick pack n k`: the first-use weight packing of an n × k float32 matrix (<see cref="ConvGemm.PackInto"/>'s
/// 4-row blocks and <see cref="DenseGemm.PackInto"/>'s 16-wide panels), timed into warm (already touched) memory,
/// as ns per weight; a cold start pays it once per layer.
/// </summary>
internal static class PackQuick
{
    public static void Run(int n, int k)
    {
        var rng = new Random(5);
        float[] wf = new float[n * k];
        for (int i = 0; i < wf.Length; i++)
        {
            wf[i] = rng.NextSingle() - 0.5f;
        }

        var w = new WeightMatrix(n, k, WeightFormat.Float32, wf, [], [], []);
        var conv = new float[ConvGemm.PackedLength(w, n)];
        var dense = new float[DenseGemm.PackedLength(w, 16)];
        for (int round = 0; round < 3; round++)
        {
            double c = Time(() => ConvGemm.PackInto(w, n, conv)), d = Time(() => DenseGemm.PackInto(w, 16, dense));
            Console.WriteLine($"pack {n}x{k}: conv blocks {c * 1e9 / wf.Length:F2} ns/weight, dense panels {d * 1e9 / wf.Length:F2} ns/weight");
        }
    }

    private static double Time(Action a)
    {
        a();
        var sw = Stopwatch.StartNew();
        int reps = 0;
        while (sw.ElapsedMilliseconds < 300)
        {
            a();
            reps++;
        }

        return sw.Elapsed.TotalSeconds / reps;
    }
}
