using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- quick dw`: BlazeFace's depthwise 3×3 convs (float32 weights, stride 1 and 2, 64×64 down to 8×8) and a 5×5 one,
/// batch 1, thread CPU time, best of 5 rounds, µs per call.
/// </summary>
internal static class DepthwiseQuick
{
    private static readonly (string Name, Conv2DShape Shape)[] s_cases =
    [
        ("dw3 24@64 s1", Dw(24, 64, 3, 1)),
        ("dw3 28@64 s2", Dw(28, 64, 3, 2)),
        ("dw3 36@32 s1", Dw(36, 32, 3, 1)),
        ("dw3 42@32 s2", Dw(42, 32, 3, 2)),
        ("dw3 80@16 s1", Dw(80, 16, 3, 1)),
        ("dw3 88@16 s2", Dw(88, 16, 3, 2)),
        ("dw3 96@8 s1", Dw(96, 8, 3, 1)),
        ("dw5 24@64 s1", Dw(24, 64, 5, 1)),
        ("dw5 240@12x80 s1", new Conv2DShape(240, 12, 80, 240, 12, 80, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 240)),
        ("dw5 480@6x80 s1", new Conv2DShape(480, 6, 80, 480, 6, 80, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 480)),
        ("dw5 240@12x80 s2x1", new Conv2DShape(240, 12, 80, 240, 6, 80, 5, 5, 2, 1, 1, 1, 2, 2, 2, 2, 240)),
    ];

    private static Conv2DShape Dw(int c, int h, int k, int stride)
    {
        // BlazeFace's TF "same" padding: stride 1 pads (k−1)/2 each side, stride 2 pads only bottom/right.
        int oh = stride == 1 ? h : h / 2;
        int lead = stride == 1 ? (k - 1) / 2 : 0;
        int trail = stride == 1 ? (k - 1) / 2 : Math.Max(((oh - 1) * stride) + k - h, 0);
        return new Conv2DShape(c, h, h, c, oh, oh, k, k, stride, stride, 1, 1, lead, lead, trail, trail, c);
    }

    public static void Run(string[] names)
    {
        PairQuick.ApplyExperiment();
        double total = 0;
        foreach (var (name, s) in s_cases)
        {
            if (names.Length > 0 && !names.Any(n => name.Contains(n, StringComparison.Ordinal)))
            {
                continue;
            }

            var rng = new Random(5);
            var x = new float[s.C * s.H * s.W];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (rng.NextSingle() * 2) - 1;
            }

            var wf = new float[s.OC * s.KH * s.KW];
            for (int i = 0; i < wf.Length; i++)
            {
                wf[i] = (rng.NextSingle() * 2) - 1;
            }

            var w = new WeightMatrix(s.OC, s.KH * s.KW, WeightFormat.Float32, wf, [], [], []);
            var bias = new float[s.OC];
            var y = new float[s.OC * s.OH * s.OW];
            var scratch = new float[Kernels.Conv2DScratch(s)];
            total += QuickTimer.Report(name, () => Kernels.Conv2D(x, w, bias, y, scratch, s, 1, Activation.None));
        }

        Console.WriteLine($"total {total:F1} us");
    }
}
