using System.Diagnostics;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick model-split batch rounds</c>: squeezenet_cifar10 over a batch run whole (1 and 2 intra-op threads), as
/// chunks of 8 on one thread, and as two plain threads each running half the batch (whole, and in chunks of 8) through
/// the whole model; ONNX Runtime with 1 and 2 threads beside them. Interleaved rounds, best per-call wall time.
/// </summary>
internal static class ModelSplitQuick
{
    // MB_CHUNK_BYTES overrides the automatic chunks' budget.
    private static readonly int Budget = int.TryParse(Environment.GetEnvironmentVariable("MB_CHUNK_BYTES"), out int b) ? b : Runtime.Execution.ModelProgram.DefaultBatchChunkBytes;

    public static void Run(int batch, int rounds)
    {
        var ort1 = new PredictorBenchmarks { Model = "squeezenet_cifar10", Batch = batch, Threads = 1 };
        ort1.Setup();
        var ort2 = new PredictorBenchmarks { Model = "squeezenet_cifar10", Batch = batch, Threads = 2 };
        ort2.Setup();
        var model = new SqueezeNetModel();
        int inPer = SqueezeNetModel.InputElementsPerSample, outPer = SqueezeNetModel.OutputElementsPerSample;
        var rng = new Random(7);
        float[] x = [.. Enumerable.Range(0, batch * inPer).Select(_ => rng.NextSingle())];
        float[] y = new float[batch * outPer];
        int half = batch / 2;

        void Chunks(int from, int to, int chunk)
        {
            for (int b = from; b < to; b += chunk)
            {
                int n = Math.Min(chunk, to - b);
                model.Predict(x.AsSpan(b * inPer, n * inPer), y.AsSpan(b * outPer, n * outPer), n);
            }
        }

        var modes = new (string Name, Action Call)[]
        {
            ("gen 1T whole", () => { SqueezeNetModel.IntraOpThreads = 1; SqueezeNetModel.BatchChunkBytes = 0; Chunks(0, batch, batch); }),
            ("gen 1T auto chunks", () => { SqueezeNetModel.IntraOpThreads = 1; SqueezeNetModel.BatchChunkBytes = Budget; Chunks(0, batch, batch); }),
            ("gen 2T auto chunks", () => { SqueezeNetModel.IntraOpThreads = 2; SqueezeNetModel.BatchChunkBytes = Budget; Chunks(0, batch, batch); }),
            ("gen 1T chunks of 8", () => { SqueezeNetModel.IntraOpThreads = 1; SqueezeNetModel.BatchChunkBytes = 0; Chunks(0, batch, 8); }),
            ("gen 1T chunks of 4", () => { SqueezeNetModel.IntraOpThreads = 1; SqueezeNetModel.BatchChunkBytes = 0; Chunks(0, batch, 4); }),
            ("gen 1T chunks of 16", () => { SqueezeNetModel.IntraOpThreads = 1; SqueezeNetModel.BatchChunkBytes = 0; Chunks(0, batch, 16); }),
            ("gen 2T ops", () => { SqueezeNetModel.IntraOpThreads = 2; SqueezeNetModel.BatchChunkBytes = 0; Chunks(0, batch, batch); }),
            ("gen 2 threads halves", () => { SqueezeNetModel.IntraOpThreads = 1; SqueezeNetModel.BatchChunkBytes = 0; Parallel.Invoke(() => Chunks(0, half, half), () => Chunks(half, batch, batch - half)); }),
            ("gen 2 threads halves in 8s", () => { SqueezeNetModel.IntraOpThreads = 1; SqueezeNetModel.BatchChunkBytes = 0; Parallel.Invoke(() => Chunks(0, half, 8), () => Chunks(half, batch, 8)); }),
            ("gen 2 threads halves in 4s", () => { SqueezeNetModel.IntraOpThreads = 1; SqueezeNetModel.BatchChunkBytes = 0; Parallel.Invoke(() => Chunks(0, half, 4), () => Chunks(half, batch, 4)); }),
            ("gen 2 threads halves in 16s", () => { SqueezeNetModel.IntraOpThreads = 1; SqueezeNetModel.BatchChunkBytes = 0; Parallel.Invoke(() => Chunks(0, half, 16), () => Chunks(half, batch, 16)); }),
            ("ort 1T", ort1.OnnxRuntime),
            ("ort 2T", ort2.OnnxRuntime),
        };
        SqueezeNetModel.BatchChunkBytes = 0; // the hand-made chunks below run as given
        var best = new double[modes.Length];
        Array.Fill(best, double.MaxValue);
        foreach (var m in modes)
        {
            for (int i = 0; i < 5; i++) m.Call();
        }

        int calls = Math.Max(5, 640 / batch);
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < modes.Length; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int c = 0; c < calls; c++) modes[i].Call();
                best[i] = Math.Min(best[i], Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls);
            }
        }

        for (int i = 0; i < modes.Length; i++)
        {
            Console.WriteLine($"{modes[i].Name,-30} {best[i],9:F0} µs  / ort same threads {best[i] / best[modes[i].Name.Contains("1T") ? modes.Length - 2 : modes.Length - 1]:F2}");
        }

        ort1.Cleanup();
        ort2.Cleanup();
    }
}
