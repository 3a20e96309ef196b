using System.Diagnostics;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick model-split batch rounds [model]</c>: squeezenet_cifar10 (or another dynamic-batch shared model) over a batch run whole (1 and 2 intra-op threads), as
/// chunks of 2–16 on one thread, and as two plain threads each running half the batch (whole, and in chunks of 2–16) through
/// the whole model; ONNX Runtime with 1 and 2 threads beside them. Interleaved rounds, best per-call wall time.
/// </summary>
internal static class ModelSplitQuick
{
    // MB_CHUNK_BYTES overrides the automatic chunks' budget.
    private static readonly int Budget = int.TryParse(Environment.GetEnvironmentVariable("MB_CHUNK_BYTES"), out int b) ? b : Runtime.Execution.ModelProgram.DefaultBatchChunkBytes;

    /// <summary>One dynamic-batch shared model's static knobs and span Predict.</summary>
    private sealed record Model(Action<int> Threads, Action<int> Budget, int InPer, int OutPer, Action<float[], float[], int, int> Predict);

    private static Model For(string name)
    {
        switch (name)
        {
            case "mnist_mlp_256":
                var mlp = new MnistMlpModel();
                return new(t => MnistMlpModel.IntraOpThreads = t, b => MnistMlpModel.BatchChunkBytes = b, MnistMlpModel.InputElementsPerSample, MnistMlpModel.OutputElementsPerSample,
                    (x, y, at, n) => mlp.Predict(x.AsSpan(at * MnistMlpModel.InputElementsPerSample, n * MnistMlpModel.InputElementsPerSample), y.AsSpan(at * MnistMlpModel.OutputElementsPerSample, n * MnistMlpModel.OutputElementsPerSample), n));
            case "mnist_cnn_fc128":
                var cnn = new MnistCnnModel();
                return new(t => MnistCnnModel.IntraOpThreads = t, b => MnistCnnModel.BatchChunkBytes = b, MnistCnnModel.InputElementsPerSample, MnistCnnModel.OutputElementsPerSample,
                    (x, y, at, n) => cnn.Predict(x.AsSpan(at * MnistCnnModel.InputElementsPerSample, n * MnistCnnModel.InputElementsPerSample), y.AsSpan(at * MnistCnnModel.OutputElementsPerSample, n * MnistCnnModel.OutputElementsPerSample), n));
            default:
                var sqz = new SqueezeNetModel();
                return new(t => SqueezeNetModel.IntraOpThreads = t, b => SqueezeNetModel.BatchChunkBytes = b, SqueezeNetModel.InputElementsPerSample, SqueezeNetModel.OutputElementsPerSample,
                    (x, y, at, n) => sqz.Predict(x.AsSpan(at * SqueezeNetModel.InputElementsPerSample, n * SqueezeNetModel.InputElementsPerSample), y.AsSpan(at * SqueezeNetModel.OutputElementsPerSample, n * SqueezeNetModel.OutputElementsPerSample), n));
        }
    }

    public static void Run(int batch, int rounds, string name = "squeezenet_cifar10")
    {
        var ort1 = new PredictorBenchmarks { Model = name, Batch = batch, Threads = 1 };
        ort1.Setup();
        var ort2 = new PredictorBenchmarks { Model = name, Batch = batch, Threads = 2 };
        ort2.Setup();
        var m = For(name);
        int inPer = m.InPer, outPer = m.OutPer;
        var rng = new Random(7);
        float[] x = [.. Enumerable.Range(0, batch * inPer).Select(_ => rng.NextSingle())];
        float[] y = new float[batch * outPer];
        int half = batch / 2;

        void Chunks(int from, int to, int chunk)
        {
            for (int b = from; b < to; b += chunk)
            {
                int n = Math.Min(chunk, to - b);
                m.Predict(x, y, b, n);
            }
        }

        var modes = new (string Name, Action Call)[]
        {
            ("gen 1T whole", () => { m.Threads(1); m.Budget(0); Chunks(0, batch, batch); }),
            ("gen 1T auto chunks", () => { m.Threads(1); m.Budget(Budget); Chunks(0, batch, batch); }),
            ("gen 2T auto chunks", () => { m.Threads(2); m.Budget(Budget); Chunks(0, batch, batch); }),
            ("gen 1T chunks of 8", () => { m.Threads(1); m.Budget(0); Chunks(0, batch, 8); }),
            ("gen 1T chunks of 4", () => { m.Threads(1); m.Budget(0); Chunks(0, batch, 4); }),
            ("gen 1T chunks of 16", () => { m.Threads(1); m.Budget(0); Chunks(0, batch, 16); }),
            ("gen 1T chunks of 2", () => { m.Threads(1); m.Budget(0); Chunks(0, batch, 2); }),
            ("gen 2 threads halves in 2s", () => { m.Threads(1); m.Budget(0); Parallel.Invoke(() => Chunks(0, half, 2), () => Chunks(half, batch, 2)); }),
            ("gen 2T ops", () => { m.Threads(2); m.Budget(0); Chunks(0, batch, batch); }),
            ("gen 2 threads halves", () => { m.Threads(1); m.Budget(0); Parallel.Invoke(() => Chunks(0, half, half), () => Chunks(half, batch, batch - half)); }),
            ("gen 2 threads halves in 8s", () => { m.Threads(1); m.Budget(0); Parallel.Invoke(() => Chunks(0, half, 8), () => Chunks(half, batch, 8)); }),
            ("gen 2 threads halves in 4s", () => { m.Threads(1); m.Budget(0); Parallel.Invoke(() => Chunks(0, half, 4), () => Chunks(half, batch, 4)); }),
            ("gen 1T two chunks", () => { m.Threads(1); m.Budget(0); Chunks(0, batch, half); }),
            ("gen 2 threads halves in 16s", () => { m.Threads(1); m.Budget(0); Parallel.Invoke(() => Chunks(0, half, 16), () => Chunks(half, batch, 16)); }),
            ("ort 1T", ort1.OnnxRuntime),
            ("ort 2T", ort2.OnnxRuntime),
        };
        m.Budget(0); // the hand-made chunks below run as given
        var best = new double[modes.Length];
        Array.Fill(best, double.MaxValue);
        foreach (var mode in modes)
        {
            for (int i = 0; i < 5; i++) mode.Call();
        }

        int calls = Math.Max(5, 640 / batch);
        var times = new double[rounds, modes.Length];
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < modes.Length; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int c = 0; c < calls; c++) modes[i].Call();
                times[r, i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls;
                best[i] = Math.Min(best[i], times[r, i]);
            }
        }

        // Per round, each mode over ONNX Runtime with the same thread count: the median of those ratios is what the
        // VM's phases (which move every mode of a round together) disturb least.
        for (int i = 0; i < modes.Length; i++)
        {
            int ort = modes[i].Name.Contains("1T") ? modes.Length - 2 : modes.Length - 1;
            var ratios = Enumerable.Range(0, rounds).Select(r => times[r, i] / times[r, ort]).Order().ToArray();
            Console.WriteLine($"{modes[i].Name,-30} best {best[i],9:F0} µs  / ORT same threads: best {best[i] / best[ort]:F2}, per-round median {ratios[rounds / 2]:F2} (quartiles {ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2})");
        }

        ort1.Cleanup();
        ort2.Cleanup();
    }
}
