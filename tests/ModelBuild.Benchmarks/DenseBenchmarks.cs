using BenchmarkDotNet.Attributes;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// Dense 784→256, batch 1 (the MNIST MLP's first layer): int8 per-row weights against float32, at the best
/// SIMD level and on the scalar path. ONNX Runtime comparisons are added beside these.
/// </summary>
[MemoryDiagnoser]
public class DenseBenchmarks
{
    private const int K = 784, N = 256;
    private WeightMatrix _int8 = null!;
    private WeightMatrix _float32 = null!;
    private float[] _x = null!;
    private float[] _bias = null!;
    private float[] _y = null!;

    [Params(1, 16)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        var floats = new float[N * K];
        var q = new sbyte[N * K];
        var scales = new float[N];
        for (int j = 0; j < N; j++)
        {
            scales[j] = 0.01f;
            for (int k = 0; k < K; k++)
            {
                q[(j * K) + k] = (sbyte)rng.Next(-127, 128);
                floats[(j * K) + k] = q[(j * K) + k] * 0.01f;
            }
        }

        _int8 = new WeightMatrix(N, K, WeightFormat.Int8, [], q, scales, []);
        _float32 = new WeightMatrix(N, K, WeightFormat.Float32, floats, [], [], []);
        _x = new float[K * Batch];
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = rng.NextSingle();
        }

        _bias = new float[N];
        _y = new float[N * Batch];
    }

    [Benchmark(Baseline = true)]
    public void Float32() => Kernels.Dense(_x, _float32, _bias, _y, Batch, Activation.Relu);

    [Benchmark]
    public void Int8() => Kernels.Dense(_x, _int8, _bias, _y, Batch, Activation.Relu);

    [Benchmark]
    public void Float32Scalar() => Kernels.Dense(SimdLevel.Scalar, _x, _float32, _bias, _y, Batch, Activation.Relu);

    [Benchmark]
    public void Int8Scalar() => Kernels.Dense(SimdLevel.Scalar, _x, _int8, _bias, _y, Batch, Activation.Relu);
}
