using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- quick pool`: the <see cref="PoolBenchmarks"/> cases at batch 1 and 64 (thread CPU time, best of 5 rounds, µs per call):
/// the vectorised kernels, the separable path forced for 2×2/2 (against its pair path), the MaxPool kernel before this
/// change (<see cref="LegacyMaxPool"/>), the tap-by-tap scalar loop,
/// and squeezenet's NHWC→NCHW Transpose against the scalar odometer.
/// </summary>
internal static class PoolQuick
{
    public static void Run()
    {
        foreach (int batch in new[] { 1, 64 })
        {
            foreach (var (name, s) in PoolBenchmarks.Cases)
            {
                bool max = !name.StartsWith("avg", StringComparison.Ordinal);
                var x = new float[batch * s.C * s.H * s.W];
                var rng = new Random(3);
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = (rng.NextSingle() * 2) - 1;
                }

                var y = new float[batch * s.C * s.OH * s.OW];
                double fast = QuickTimer.Report($"{name} b{batch} vectorised", () =>
                {
                    if (max)
                    {
                        Kernels.MaxPool2D(x, y, s, batch);
                    }
                    else
                    {
                        Kernels.AveragePool2D(x, y, s, batch, false);
                    }
                });
                double old = double.NaN;
                if (max)
                {
                    QuickTimer.Report($"{name} b{batch} separable", () => Kernels.PoolRows<MaxPoolReduce>(Simd.Best, x, y, s, batch, false));
                    old = QuickTimer.Report($"{name} b{batch} before (d352ab9)", () => LegacyMaxPool.Run(Simd.Best, x, y, s, batch));
                }

                double slow = QuickTimer.Report($"{name} b{batch} tap-by-tap", () => Kernels.Pool(x, y, s, batch, max, false));
                Console.WriteLine($"{name,-16} b{batch,-3} vectorised / before {fast / old:F2}, / tap-by-tap {fast / slow:F2}, per image {fast / batch:F2} us");
            }

            var t = new float[batch * 32 * 32 * 3];
            var ty = new float[t.Length];
            double tv = QuickTimer.Report($"transpose nhwc b{batch}", () => Kernels.Transpose(t, ty, [batch, 32, 32, 3], [0, 3, 1, 2], 1));
            double ts = QuickTimer.Report($"transpose nhwc b{batch} odometer", () => Kernels.TransposeScalar(t, ty, [batch, 32, 32, 3], [0, 3, 1, 2], 1));
            Console.WriteLine($"transpose nhwc   b{batch,-3} kernel / odometer {tv / ts:F2}, per image {tv / batch:F2} us");
        }
    }
}
