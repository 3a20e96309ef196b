using System.Diagnostics;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The kernels <see cref="PgoProbeTests"/> inspects, called often enough (in a child process started with
/// <c>DOTNET_TC_CallCountingDelayMs=0</c>) that the runtime recompiles them into dynamic PGO's instrumented tier: the
/// packed conv through im2col (5×5 "same", 3×3 stride 2), the blocked Winograd conv, the batched 1×1 conv, the depthwise
/// conv, the three max-pool paths and the average pool, Dense at batch 1 and 16 (int8, int4, 4-bit palette), 8-bit
/// activations (Dense, Conv), and the elementwise, broadcast, softmax, layer-norm, transpose and global-pool kernels.
/// </summary>
internal static class PgoProbeWorkload
{
    /// <summary>Runs every case until <paramref name="seconds"/> have passed (at least 120 rounds).</summary>
    public static void Run(double seconds)
    {
        Action[] cases = Cases();
        var watch = Stopwatch.StartNew();
        for (int round = 0; round < 120 || watch.Elapsed.TotalSeconds < seconds; round++)
        {
            foreach (Action run in cases)
            {
                run();
            }

            if (round % 10 == 9)
            {
                Thread.Sleep(5); // the background tiering thread compiles while this one waits
            }
        }
    }

    private static Action[] Cases()
    {
        var rng = new Random(12);
        return
        [
            Conv(rng, ConvShape(8, 14, 14, 16, 5, 5, 1, 2), batch: 1),   // im2col, stride 1 "same": FillShifted
            Conv(rng, ConvShape(3, 32, 32, 64, 3, 3, 2, 1), batch: 1),   // im2col, stride 2
            Conv(rng, ConvShape(32, 14, 14, 64, 3, 3, 1, 1), batch: 4),  // blocked Winograd
            Conv(rng, ConvShape(16, 7, 7, 64, 1, 1, 1, 0), batch: 8),    // batched 1×1
            Conv(rng, ConvShape(16, 16, 16, 24, 1, 1, 1, 0), batch: 1),  // 1×1 on the float tiles
            Conv(rng, ConvShape(64, 8, 8, 64, 1, 1, 1, 0), batch: 1),    // 1×1 in integers (FixedPointConv on AVX2)
            Conv(rng, ConvShape(32, 16, 16, 32, 3, 3, 1, 1, group: 32), batch: 1), // depthwise
            Pool(rng, PoolShape(32, 28, 28, 2, 2, 0), max: true),
            Pool(rng, PoolShape(32, 15, 15, 3, 2, 0), max: true),
            Pool(rng, PoolShape(16, 12, 12, 3, 1, 1), max: false),
            Dense(rng, 256, 128, rows: 1),
            Dense(rng, 256, 128, rows: 16),
            Compact(rng, code: 4, bits: 4, 512, 256),   // int4, per-group scales (DirectDense)
            Compact(rng, code: 5, bits: 4, 512, 256),   // 4-bit palette (the 16-entry table kernels)
            QuantizedDense(rng, 256, 128, rows: 1),
            QuantizedDense(rng, 256, 128, rows: 16),
            QuantizedConv(rng, ConvShape(16, 16, 16, 32, 3, 3, 1, 1)),
            Elementwise(rng),
        ];
    }

    private static Conv2DShape ConvShape(int c, int h, int w, int oc, int kh, int kw, int stride, int pad, int group = 1) =>
        new(c, h, w, oc, ((h + (2 * pad) - kh) / stride) + 1, ((w + (2 * pad) - kw) / stride) + 1, kh, kw, stride, stride, 1, 1, pad, pad, pad, pad, group);

    private static Pool2DShape PoolShape(int c, int h, int w, int k, int stride, int pad) =>
        new(c, h, w, ((h + (2 * pad) - k) / stride) + 1, ((w + (2 * pad) - k) / stride) + 1, k, k, stride, stride, 1, 1, pad, pad, pad, pad);

    private static Action Conv(Random rng, Conv2DShape s, int batch)
    {
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C / s.Group * s.KH * s.KW);
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        var y = new float[batch * s.OC * s.OH * s.OW];
        var scratch = new float[Kernels.Conv2DScratch(s)];
        return () => Kernels.Conv2D(x, w, bias, y, scratch, s, batch, Activation.Relu);
    }

    private static Action Pool(Random rng, Pool2DShape s, bool max)
    {
        float[] x = TestData.Floats(rng, 2 * s.C * s.H * s.W);
        var y = new float[2 * s.C * s.OH * s.OW];
        return max ? () => Kernels.MaxPool2D(x, y, s, 2) : () => Kernels.AveragePool2D(x, y, s, 2, countIncludePad: false);
    }

    private static Action Dense(Random rng, int k, int n, int rows)
    {
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        float[] bias = TestData.Floats(rng, n);
        var y = new float[rows * n];
        return () => Kernels.Dense(x, w, bias, y, rows, Activation.Relu);
    }

    /// <summary>A compact weight entry (CONTRACTS.md §2 format <paramref name="code"/>: 4 linear codes, 5 palette) at batch 1.</summary>
    private static Action Compact(Random rng, byte code, int bits, int k, int n)
    {
        int[] codes = [.. Enumerable.Range(0, n * k).Select(_ => rng.Next(1 << bits))];
        byte[] payload = code == 4
            ? Formats.TestPack.Concat([(byte)bits, 0, 0, 0], Formats.TestPack.U32(32), Formats.TestPack.F32([.. Enumerable.Range(0, n * k / 32).Select(_ => 0.01f)]), Formats.TestPack.Bits(codes, bits))
            : Formats.TestPack.Concat([(byte)bits, 0, 0, 0], Formats.TestPack.U32((uint)n), Formats.TestPack.F32([.. Enumerable.Range(0, 1 << bits).Select(i => (i - 8) * 0.01f)]), Formats.TestPack.Bits(codes, bits));
        WeightMatrix w = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [n, k], payload) { FormatOverride = code }])).DenseMatrix(0);
        float[] x = TestData.Floats(rng, k);
        float[] bias = TestData.Floats(rng, n);
        var y = new float[n];
        return () => Kernels.Dense(x, w, bias, y, 1, Activation.Relu);
    }

    /// <summary>8-bit activations, quantized per call (input scale 0).</summary>
    private static Action QuantizedDense(Random rng, int k, int n, int rows)
    {
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        float[] bias = TestData.Floats(rng, n);
        var y = new float[rows * n];
        var codes = new byte[rows * k];
        return () => Kernels.QuantizedDense(x, w, bias, y, rows, Activation.Relu, 0, 0, codes);
    }

    private static Action QuantizedConv(Random rng, Conv2DShape s)
    {
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C * s.KH * s.KW);
        float[] x = TestData.Floats(rng, s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        var y = new float[s.OC * s.OH * s.OW];
        var scratch = new byte[Kernels.QuantizedConv2DScratch(s)];
        return () => Kernels.QuantizedConv2D(x, w, bias, y, s, 1, Activation.Relu, 0, 0, [], 0, scratch);
    }

    private static Action Elementwise(Random rng)
    {
        const int C = 16, HW = 196, Rows = 8, D = 64;
        float[] x = TestData.Floats(rng, 2 * C * HW);
        float[] perChannel = TestData.Floats(rng, C);
        var y = new float[2 * C * HW];
        var pooled = new float[2 * C];
        float[] gamma = TestData.Floats(rng, D), beta = TestData.Floats(rng, D);
        var norm = new float[Rows * D];
        var mean = new float[Rows];
        var inv = new float[Rows];
        var transposed = new float[2 * C * HW];
        return () =>
        {
            Kernels.Binary(BinaryFunction.Add, x, [C, 14, 14], true, perChannel, [C, 1, 1], false, y, [C, 14, 14], 2);
            Kernels.Binary(BinaryFunction.Mul, x, [C, 14, 14], true, x, [C, 14, 14], true, y, [C, 14, 14], 2);
            Kernels.Unary(UnaryFunction.Sigmoid, x, y, 0, 0);
            Kernels.Softmax(x, y, 2 * C, HW, 1);
            Kernels.LayerNorm(Simd.Best, x.AsSpan(0, Rows * D), gamma, beta, norm, mean, inv, Rows, D, 1e-5f);
            Kernels.Transpose2D(Simd.Best, x, transposed, 2, C, HW);
            Kernels.GlobalAveragePool(x, pooled, 2 * C, HW);
        };
    }
}
