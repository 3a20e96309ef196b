using BenchmarkDotNet.Attributes;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// The convolutions of a small CNN, batch 1: MNIST conv1 (1→32, 3×3 pad 1 on 28×28), conv2 (32→64 on 14×14,
/// im2col path), a 1×1 pointwise conv (no im2col) and a depthwise 3×3 (direct path), int8 per-channel weights against float32.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private readonly Dictionary<string, (Conv2DShape Shape, WeightMatrix W, float[] X, float[] Y, float[] Scratch, float[] Bias)> _cases = [];
    private readonly Dictionary<string, (Conv2DShape Shape, WeightMatrix W, float[] X, float[] Y, float[] Scratch, float[] Bias)> _float32 = [];
    private readonly Dictionary<string, float[]> _residual = [];

    [Params("conv1", "conv2", "pointwise", "depthwise", "bf-pw", "det-neck", "sq-fire2e3", "sq-fire4e3", "m8-conv1", "m8-conv2")]
    public string Case { get; set; } = "conv1";

    /// <summary>Images per call (set before <see cref="Setup"/>; the BenchmarkDotNet rows are batch 1).</summary>
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        Add("conv1", new Conv2DShape(1, 28, 28, 32, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        Add("conv2", new Conv2DShape(32, 14, 14, 64, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        Add("pointwise", new Conv2DShape(64, 14, 14, 128, 14, 14, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1));
        Add("depthwise", new Conv2DShape(128, 14, 14, 128, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 128));
        Add("sq-conv1", new Conv2DShape(3, 32, 32, 64, 15, 15, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1));
        Add("sq-fire4e3", new Conv2DShape(32, 7, 7, 128, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        Add("sq-fire4e1", new Conv2DShape(32, 7, 7, 128, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1));
        Add("sq-fire2e3", new Conv2DShape(16, 7, 7, 64, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        Add("sq-fire2s1", new Conv2DShape(64, 7, 7, 16, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1));
        Add("m8-conv1", new Conv2DShape(1, 28, 28, 8, 28, 28, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1));
        Add("m8-conv2", new Conv2DShape(8, 14, 14, 16, 14, 14, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1));

        // The slowest convolutions of the real models (RealModelBenchmarks): BlazeFace at 128×128, PaddleOCR det at 256×256.
        Add("bf-stem", new Conv2DShape(3, 128, 128, 24, 64, 64, 5, 5, 2, 2, 1, 1, 1, 1, 2, 2, 1));
        Add("bf-pw", new Conv2DShape(24, 64, 64, 28, 64, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1));
        Add("bf-dw", new Conv2DShape(24, 64, 64, 24, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 24));
        Add("bf-dw-s2", new Conv2DShape(28, 64, 64, 28, 32, 32, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 28));
        Add("det-dw5", new Conv2DShape(192, 16, 16, 192, 16, 16, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 192));
        Add("det-neck", new Conv2DShape(96, 64, 64, 24, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        Add("det-stem", new Conv2DShape(3, 256, 256, 16, 128, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1));
        Add("det-pw", new Conv2DShape(384, 8, 8, 384, 8, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1));
    }

    /// <summary>The last <see cref="Float32Conv"/>'s outputs.</summary>
    public float[] Output => _float32[Case].Y;

    [Benchmark]
    public void Float32Conv()
    {
        var c = _float32[Case];
        Kernels.Conv2D(c.X, c.W, c.Bias, c.Y, c.Scratch, c.Shape, Batch, Activation.Relu);
    }

    [Benchmark]
    public void Int8Conv()
    {
        var c = _cases[Case];
        Kernels.Conv2D(c.X, c.W, c.Bias, c.Y, c.Scratch, c.Shape, 1, Activation.Relu);
    }

    /// <summary><see cref="Float32Conv"/> under the previous tail, panel and PhaseConv rules (<see cref="ConvGemm.NewTailAndPanelRules"/> off), for an A/B row.</summary>
    [Benchmark]
    public void Float32ConvPreviousRules()
    {
        ConvGemm.NewTailAndPanelRules = false;
        try
        {
            Float32Conv();
        }
        finally
        {
            ConvGemm.NewTailAndPanelRules = true;
        }
    }

    /// <summary><see cref="Float32Conv"/> without Winograd (the direct packed path), for the 3×3 stride-1 cases WinogradConv takes.</summary>
    [Benchmark]
    public void Float32ConvDirect()
    {
        var c = _float32[Case];
        Kernels.Conv2D(Simd.Best, c.X, c.W, c.Bias, c.Y, c.Scratch, c.Shape, Batch, Activation.Relu, winograd: false);
    }

    /// <summary>
    /// <see cref="Float32Conv"/> with a fused residual Add + Relu on the first min(C, OC) channels, the others padded
    /// with zeros (BlazeFace's block tail <c>Relu(Add(Conv(x), Concat(r, zeros)))</c>; compare with Float32Conv).
    /// </summary>
    [Benchmark]
    public void Float32ConvResidual()
    {
        var c = _float32[Case];
        Kernels.Conv2D(Simd.Best, c.X, c.W, c.Bias, c.Y, c.Scratch, c.Shape, 1, Activation.Relu, _residual[Case], Math.Min(c.Shape.C, c.Shape.OC));
    }

    /// <summary>The int8 path before packed float weights (still used for very large conv weights).</summary>
    [Benchmark]
    public void Int8ConvUnpacked()
    {
        var c = _cases[Case];
        Kernels.Conv2D(Simd.Best, c.X, c.W, c.Bias, c.Y, c.Scratch, c.Shape, 1, Activation.Relu, packed: false);
    }

    private void Add(string name, Conv2DShape s)
    {
        var rng = new Random(1);
        int k = s.C / s.Group * s.KH * s.KW;
        var q = new sbyte[s.OC * k];
        rng.NextBytes((byte[])(Array)q);
        var scales = Enumerable.Repeat(0.01f, s.OC).ToArray();
        var x = new float[Batch * s.C * s.H * s.W];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextSingle();
        }

        var w = new WeightMatrix(s.OC, k, WeightFormat.Int8, [], q, scales, []);
        _cases[name] = (s, w, x, new float[s.OC * s.OH * s.OW], new float[Kernels.Conv2DScratch(s)], new float[s.OC]);
        var f = new WeightMatrix(s.OC, k, WeightFormat.Float32, w.Dequantize(), [], [], []);
        _residual[name] = [.. Enumerable.Range(0, Math.Min(s.C, s.OC) * s.OH * s.OW).Select(_ => rng.NextSingle() - 0.5f)];
        _float32[name] = (s, f, x, new float[Batch * s.OC * s.OH * s.OW], new float[Kernels.Conv2DScratch(s)], new float[s.OC]);
    }
}
