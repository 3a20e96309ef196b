using BenchmarkDotNet.Attributes;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// The shared models' pooling windows and their NHWC→NCHW Transpose at batch 1 and 64: the kernels the ops call
/// (<c>Vectorised</c>) next to the tap-by-tap scalar loop every window but 2×2/2 ran before (<c>TapByTap</c>; for
/// Transpose the scalar odometer). ONNX Runtime's per-node times for the same ops: <c>-- profile-ort</c>.
/// </summary>
[MemoryDiagnoser]
public class PoolBenchmarks
{
    /// <summary>Case name → window (sq: squeezenet_cifar10, m8: mnist-8, cnn: mnist_cnn_fc128).</summary>
    internal static readonly (string Name, Pool2DShape Shape)[] Cases =
    [
        ("sq-max3s2", new Pool2DShape(64, 15, 15, 7, 7, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0)),
        ("m8-max2s2", new Pool2DShape(8, 28, 28, 14, 14, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0)),
        ("m8-max3s3", new Pool2DShape(16, 14, 14, 4, 4, 3, 3, 3, 3, 1, 1, 0, 0, 0, 0)),
        ("cnn-max2s2a", new Pool2DShape(32, 28, 28, 14, 14, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0)),
        ("cnn-max2s2b", new Pool2DShape(64, 14, 14, 7, 7, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0)),
        ("avg3s1-pad", new Pool2DShape(64, 14, 14, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1)),
    ];

    private Pool2DShape _shape;
    private float[] _x = [];
    private float[] _y = [];
    private float[] _t = [];
    private float[] _ty = [];

    [Params("sq-max3s2", "m8-max2s2", "m8-max3s3", "cnn-max2s2a", "cnn-max2s2b", "avg3s1-pad")]
    public string Case { get; set; } = "sq-max3s2";

    [Params(1, 64)]
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _shape = Cases.First(c => c.Name == Case).Shape;
        var rng = new Random(3);
        _x = new float[Batch * _shape.C * _shape.H * _shape.W];
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = (rng.NextSingle() * 2) - 1;
        }

        _y = new float[Batch * _shape.C * _shape.OH * _shape.OW];
        _t = new float[Batch * 32 * 32 * 3];
        _ty = new float[_t.Length];
    }

    [Benchmark]
    public void Vectorised()
    {
        if (Case.StartsWith("avg", StringComparison.Ordinal))
        {
            Kernels.AveragePool2D(_x, _y, _shape, Batch, countIncludePad: false);
        }
        else
        {
            Kernels.MaxPool2D(_x, _y, _shape, Batch);
        }
    }

    [Benchmark]
    public void TapByTap() => Kernels.Pool(_x, _y, _shape, Batch, max: !Case.StartsWith("avg", StringComparison.Ordinal), countIncludePad: false);

    /// <summary>squeezenet_cifar10's input Transpose [N,32,32,3] → [N,3,32,32] (the op passes the whole shape, batch 1).</summary>
    [Benchmark]
    public void TransposeNhwc() => Kernels.Transpose(_t, _ty, [Batch, 32, 32, 3], [0, 3, 1, 2], 1);
}
