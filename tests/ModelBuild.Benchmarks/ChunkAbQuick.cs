using System.Diagnostics;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick chunk-ab batch threads rounds [model…]</c>: each dynamic-batch shared model with its batch run whole
/// (<c>BatchChunkBytes = 0</c>) and in automatic chunks (the default budget), alternating in rounds of ~20 ms in one
/// process, ONNX Runtime beside them; best per-call wall time of each. <c>quick chunk-ab batch 1 1 sizes</c> prints the
/// samples per chunk each model gets; <c>… wide [variant…]</c> times the wide MLP whole against two halves.
/// </summary>
internal static class ChunkAbQuick
{
    public static void Run(int batch, int threads, int rounds, string[] models)
    {
        if (models is ["sizes"])
        {
            // What BatchChunks makes of each model at the default budget: the built plans (as OpProfiler loads them) probed once.
            foreach (var (name, shape) in new[] { ("MnistMlpModel", new[] { batch, 1, 28, 28 }), ("MnistCnnModel", [batch, 1, 28, 28]), ("SqueezeNetModel", [batch, 32, 32, 3]) })
            {
                var dir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "obj", "Release", "net10.0", "modelbuild", name);
                var program = ModelBuild.Compression.Planning.PlanInterpreter.Load(File.ReadAllText(Path.Combine(dir, name + ".mbplan")),
                    Runtime.WeightBlob.Load(File.ReadAllBytes(Path.Combine(dir, name + ".weights.mbw"))));
                var context = new OpContext(program);
                ChunkRunner<float> run = (input, s) =>
                {
                    context.SetInput(program.Inputs[0], input, s);
                    program.Run(context);
                    return context;
                };
                int inPer = shape[1..].Aggregate(1, (a, d) => a * d);
                Console.WriteLine($"{name}: {program.ChunkSamples(run, new float[batch * inPer], shape, inPer)} samples per chunk, weights {program.Blob.PayloadBytes} B");
            }

            return;
        }

        if (models is ["wide", .. var variants])
        {
            Wide(batch, rounds, variants.Length > 0 ? variants : ["int8", "fp32", "int4"]);
            return;
        }

        foreach (var model in models.Length > 0 ? models : ["mnist_mlp_256", "mnist_cnn_fc128", "squeezenet_cifar10"])
        {
            var b = new PredictorBenchmarks { Model = model, Batch = batch, Threads = threads };
            b.Setup();
            var modes = new (string Name, Action Call)[]
            {
                ("whole", () => { Budget(0); b.Generated(); }),
                ("chunks", () => { Budget(ModelProgram.DefaultBatchChunkBytes); b.Generated(); }),
                ("ort", b.OnnxRuntime),
            };
            var best = new double[modes.Length];
            Array.Fill(best, double.MaxValue);
            int per = 1;
            for (var t = Stopwatch.StartNew(); t.ElapsedMilliseconds < 20; per++)
            {
                b.Generated();
            }

            for (int r = 0; r < rounds; r++)
            {
                for (int i = 0; i < modes.Length; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int c = 0; c < per; c++) modes[i].Call();
                    best[i] = Math.Min(best[i], Stopwatch.GetElapsedTime(t0).TotalMicroseconds / per);
                }
            }

            Console.WriteLine($"{model} b{batch} {threads}T µs: whole {best[0]:F0}, chunks {best[1]:F0} ({best[1] / best[0]:F2}×), ORT {best[2]:F0}; chunks / ORT {best[1] / best[2]:F2}");
            b.Cleanup();
        }
    }

    /// <summary>The wide MLP (weights 1–7 MiB) on one thread: the batch whole against two halves, what a budget below its activations would make of it.</summary>
    private static void Wide(int batch, int rounds, string[] variants)
    {
        foreach (var variant in variants)
        {
            var mlp = new WideMlp(Runtime.WeightBlob.Load(WideMlp.Blob(variant)), false);
            float[] x = [.. Enumerable.Range(0, batch * WideMlp.Inputs).Select(i => (i % 97) / 97f)];
            float[] y = new float[batch * WideMlp.Outputs];
            int half = batch / 2;
            var modes = new (string Name, Action Call)[]
            {
                ("whole", () => mlp.Predict(x, y, batch)),
                ("halves", () =>
                {
                    mlp.Predict(x.AsSpan(0, half * WideMlp.Inputs), y.AsSpan(0, half * WideMlp.Outputs), half);
                    mlp.Predict(x.AsSpan(half * WideMlp.Inputs), y.AsSpan(half * WideMlp.Outputs), batch - half);
                }),
            };
            var best = new double[2];
            Array.Fill(best, double.MaxValue);
            for (int r = 0; r < rounds; r++)
            {
                for (int i = 0; i < modes.Length; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int c = 0; c < 10; c++) modes[i].Call();
                    best[i] = Math.Min(best[i], Stopwatch.GetElapsedTime(t0).TotalMicroseconds / 10);
                }
            }

            Console.WriteLine($"wide MLP {variant} b{batch} 1T µs: whole {best[0]:F0}, two halves {best[1]:F0} ({best[1] / best[0]:F2}×)");
        }
    }

    private static void Budget(int bytes)
    {
        MnistMlpModel.BatchChunkBytes = bytes;
        MnistCnnModel.BatchChunkBytes = bytes;
        SqueezeNetModel.BatchChunkBytes = bytes;
    }
}
