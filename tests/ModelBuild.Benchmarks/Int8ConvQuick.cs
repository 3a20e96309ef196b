using ModelBuild.Compression.Storage;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- quick int8-conv-shapes [name prefix…]`: SqueezeNet's convolutions with 8-bit activations (Int8Conv on the best path here) next
/// to the float32-activation conv over the same int8 weights, batch 1, thread CPU time, best of rounds.
/// </summary>
internal static class Int8ConvQuick
{
    private static readonly (string Name, Conv2DShape Shape)[] Cases =
    [
        ("conv10 1x1 256->10 7x7", new(256, 7, 7, 10, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
        ("fire4 squeeze 1x1 128->32 7x7", new(128, 7, 7, 32, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
        ("fire4 expand 3x3 32->128 7x7", new(32, 7, 7, 128, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
        ("fire2 expand 1x1 16->64 7x7", new(16, 7, 7, 64, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
        ("conv1 3x3/2 3->64 32x32", new(3, 32, 32, 64, 15, 15, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1)),
    ];

    public static void Run(string[] only)
    {
        var rng = new Random(3);
        foreach (var (name, s) in Cases.Where(c => only.Length == 0 || only.Any(o => c.Name.StartsWith(o, StringComparison.Ordinal))))
        {
            int k = s.C * s.KH * s.KW;
            float[] wf = [.. Enumerable.Range(0, s.OC * k).Select(_ => (rng.NextSingle() * 2) - 1)];
            var writer = new WeightBlobWriter();
            writer.AddStored("w", WideMlp.Linear(wf, s.OC, k, 8, k), [s.OC, k]);
            var w = WeightBlob.Load(writer.ToArray()).Matrix(0);
            float[] x = [.. Enumerable.Range(0, s.C * s.H * s.W).Select(_ => rng.NextSingle())];
            float[] y = new float[s.OC * s.OH * s.OW];
            float[] scratch = new float[Kernels.Conv2DScratch(s)];
            byte[] scratch8 = new byte[Kernels.QuantizedConv2DScratch(s)];
            double f = double.MaxValue, q = double.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                f = Math.Min(f, QuickTimer.Report($"{name} float activations", () => Kernels.Conv2D(x, w, default, y, scratch, s, 1, Activation.Relu)));
                q = Math.Min(q, QuickTimer.Report($"{name} 8-bit activations", () => Kernels.QuantizedConv2D(x, w, default, y, s, 1, Activation.Relu, 0, 0, default, 0, scratch8)));
            }

            Console.WriteLine($"{name}: 8-bit / float activations {q / f:F2} ({q:0.0} / {f:0.0} µs)");
        }
    }
}
