using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- quick batch`: the batched kernels against the paths they replaced, same process, thread CPU time: Dense at
/// batch 64 through the packed GEMM vs the dot-product DenseBatch, Conv at batch 64 as one GEMM over the batch vs
/// image by image. For iterating; BenchmarkDotNet's PredictorBenchmarks gives the figures.
/// </summary>
internal static class BatchQuick
{
    public static void Run(string[] args)
    {
        if (args.Contains("panels"))
        {
            // Int8 weights in the batched GEMM: int8 panels widened per K block and call (1 B/weight held) against
            // float panels made once (4 B/weight), alternated so drift from other processes hits both.
            foreach (int batch in new[] { 8, 16, 64 })
            {
                var mlp = new WideMlp(WeightBlob.Load(WideMlp.Blob("int8")), false);
                float[] x = [.. Enumerable.Range(0, batch * WideMlp.Inputs).Select(i => (i % 97) / 97f)];
                float[] y = new float[batch * WideMlp.Outputs];
                double[] int8 = new double[2], f32 = new double[2];
                for (int round = 0; round < 2; round++)
                {
                    DenseGemm.Int8Panels = true;
                    int8[round] = QuickTimer.Report($"wide MLP int8 batch {batch} int8 panels", () => mlp.Predict(x, y, batch));
                    DenseGemm.Int8Panels = false;
                    f32[round] = QuickTimer.Report($"wide MLP int8 batch {batch} float panels", () => mlp.Predict(x, y, batch));
                }

                DenseGemm.Int8Panels = true;
                Console.WriteLine($"wide MLP int8 batch {batch}: int8 / float panels {int8.Min() / f32.Min():F2}");
            }

            return;
        }

        if (args.Contains("wide"))
        {
            foreach (string variant in new[] { "int8", "ort", "int8", "fp32", "int8" })
            {
                if (variant == "ort")
                {
                    // Whether ONNX Runtime having run in the process changes the generated code's speed (`quick wide` saw it).
                    var ort = new WideMlpBenchmarks { Batch = 64, Variant = "ort-fp32" };
                    ort.Setup();
                    QuickTimer.Report("wide MLP ort-fp32 batch 64", ort.Run);
                    ort.Cleanup();
                    continue;
                }

                var mlp = new WideMlp(WeightBlob.Load(WideMlp.Blob(variant)), false);
                float[] x = new float[64 * WideMlp.Inputs], y = new float[64 * WideMlp.Outputs];
                new Random(3).NextBytes(new byte[1]);
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = (i % 97) / 97f;
                }

                QuickTimer.Report($"wide MLP {variant} batch 64", () => mlp.Predict(x, y, 64));
            }

            return;
        }

        foreach ((int n, int k) in args.Contains("conv") ? [] : new[] { (256, 784), (128, 3136), (1024, 1024), (10, 256) })
        {
            var rng = new Random(1);
            var w = RandomWeights.Int8(rng, n, k);
            float[] x = [.. Enumerable.Range(0, 64 * k).Select(_ => rng.NextSingle())];
            float[] bias = new float[n];
            float[] y = new float[64 * n];
            double gemm = QuickTimer.Report($"dense {n}x{k} int8 batch 64 GEMM", () => Kernels.Dense(x, w, bias, y, 64, Activation.Relu));
            double old = QuickTimer.Report($"dense {n}x{k} int8 batch 64 DenseBatch", () =>
            {
                var ep = new Epilogue(w, bias, Activation.Relu);
                DenseBatch.Run<Int8Loader>(Simd.Best, x, w, y, 64, ep);
            });
            Console.WriteLine($"dense {n}x{k}: GEMM / DenseBatch {gemm / old:F2}");
        }

        foreach ((string name, Conv2DShape s) in new[]
        {
            ("1x1 spatial 1x1 256->128", new Conv2DShape(256, 1, 1, 128, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
            ("2x2 3x3 64->64", new Conv2DShape(64, 2, 2, 64, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            ("3x3 3x3 64->64", new Conv2DShape(64, 3, 3, 64, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            ("cnn conv2 32->64 14x14", new Conv2DShape(32, 14, 14, 64, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            ("8x8 3x3 64->64", new Conv2DShape(64, 8, 8, 64, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            ("4x4 1x1 128->32", new Conv2DShape(128, 4, 4, 32, 4, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
            ("squeezenet 7x7 3x3 32->128", new Conv2DShape(32, 7, 7, 128, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            ("squeezenet 7x7 3x3 16->64", new Conv2DShape(16, 7, 7, 64, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            ("squeezenet 7x7 1x1 256->10", new Conv2DShape(256, 7, 7, 10, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
            ("squeezenet 7x7 1x1 32->128", new Conv2DShape(32, 7, 7, 128, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
            ("squeezenet stem 32x32 3x3/2 3->64", new Conv2DShape(3, 32, 32, 64, 15, 15, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1)),
        })
        {
            var rng = new Random(2);
            int kk = s.C * s.KH * s.KW;
            var w = RandomWeights.Int8(rng, s.OC, kk);
            float[] x = [.. Enumerable.Range(0, 64 * s.C * s.H * s.W).Select(_ => rng.NextSingle())];
            float[] y = new float[64 * s.OC * s.OH * s.OW];
            float[] scratch = new float[Kernels.Conv2DScratch(s)];
            float[] bias = new float[s.OC];
            int inPer = s.C * s.H * s.W, outPer = s.OC * s.OH * s.OW;
            double batched = QuickTimer.Report($"conv {name} batch 64 one GEMM", () => Kernels.Conv2D(x, w, bias, y, scratch, s, 64, Activation.Relu));
            double single = QuickTimer.Report($"conv {name} batch 64 image by image", () =>
            {
                for (int i = 0; i < 64; i++)
                {
                    Kernels.Conv2D(x.AsSpan(i * inPer, inPer), w, bias, y.AsSpan(i * outPer, outPer), scratch, s, 1, Activation.Relu);
                }
            });
            Console.WriteLine($"conv {name}: batched / per image {batched / single:F2}");
        }
    }
}
