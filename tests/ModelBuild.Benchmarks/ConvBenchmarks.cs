using BenchmarkDotNet.Attributes;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// The convolutions of a small CNN, batch 1: MNIST conv1 (1→32, 3×3 pad 1 on 28×28), conv2 (32→64 on 14×14,
/// im2col path), a 1×1 pointwise conv (no im2col) and a depthwise 3×3 (direct path), int8 per-channel weights.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private readonly Dictionary<string, (Conv2DShape Shape, WeightMatrix W, float[] X, float[] Y, float[] Scratch, float[] Bias)> _cases = [];

    [Params("conv1", "conv2", "pointwise", "depthwise")]
    public string Case { get; set; } = "conv1";

    [GlobalSetup]
    public void Setup()
    {
        Add("conv1", new Conv2DShape(1, 28, 28, 32, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        Add("conv2", new Conv2DShape(32, 14, 14, 64, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        Add("pointwise", new Conv2DShape(64, 14, 14, 128, 14, 14, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1));
        Add("depthwise", new Conv2DShape(128, 14, 14, 128, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 128));
    }

    [Benchmark]
    public void Int8Conv()
    {
        var c = _cases[Case];
        Kernels.Conv2D(c.X, c.W, c.Bias, c.Y, c.Scratch, c.Shape, 1, Activation.Relu);
    }

    private void Add(string name, Conv2DShape s)
    {
        var rng = new Random(1);
        int k = s.C / s.Group * s.KH * s.KW;
        var q = new sbyte[s.OC * k];
        rng.NextBytes((byte[])(Array)q);
        var scales = Enumerable.Repeat(0.01f, s.OC).ToArray();
        var x = new float[s.C * s.H * s.W];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextSingle();
        }

        var w = new WeightMatrix(s.OC, k, WeightFormat.Int8, [], q, scales, []);
        _cases[name] = (s, w, x, new float[s.OC * s.OH * s.OW], new float[Kernels.Conv2DScratch(s)], new float[s.OC]);
    }
}
