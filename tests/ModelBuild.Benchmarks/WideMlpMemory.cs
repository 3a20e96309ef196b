using System.Diagnostics;
using System.Runtime;
using Microsoft.ML.OnnxRuntime;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// Working set and managed heap after the first prediction of the wide MLP, one fresh process per variant
/// (`-- memory wide`): the parent writes each blob (and the ONNX model) to a temporary file, and each child measures
/// Process.WorkingSet64 and GC.GetTotalMemory(true) before loading and after load + one batch-1 prediction + a full
/// compacting GC. The child loads the blob with <see cref="WeightBlob.LoadFile"/>: one pinned copy that the weights
/// then use in place, as a generated predictor uses its mapped resource. `MEMORY_DETAIL=1` also prints (to stderr)
/// the RssAnon / RssFile / RssShmem growth from /proc/self/status and the GC's committed bytes. `-- memory wide 64` predicts a batch of 64
/// instead (the batched GEMM's packed weights then count); `-- memory wide 64 float-panels` packs int8 weights as float
/// panels (<see cref="DenseGemm.Int8Panels"/> off) for comparison. Each child then measures again after one batch-64
/// prediction (what batched paths add: float panels or per-thread scratch).
/// </summary>
internal static class WideMlpMemory
{
    public static void Run(string[] args)
    {
        string batch = args.Length > 0 ? args[0] : "1";
        string panels = args.Contains("float-panels") ? "float-panels" : "int8-panels";
        string dir = Directory.CreateTempSubdirectory("widemlp").FullName;
        try
        {
            Console.WriteLine($"{"variant",-13} {"file KiB",9} {"working set +MiB",17} {"managed heap +MiB",18} {"after b64: ws +MiB",20} {"after b64: heap +MiB",21}");
            foreach (string variant in WideMlpBenchmarks.AllVariants)
            {
                bool ort = variant.StartsWith("ort-", StringComparison.Ordinal);
                string file = Path.Combine(dir, variant + (ort ? ".onnx" : ".mbw"));
                File.WriteAllBytes(file, !ort ? WideMlp.Blob(variant) : variant == "ort-fp32" ? WideMlp.Onnx() : WideMlpDynamicInt8.Onnx());
                var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
                if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
                {
                    start.ArgumentList.Add(typeof(WideMlpMemory).Assembly.Location);
                }

                foreach (string a in new[] { "memory-child", variant, file, batch, panels })
                {
                    start.ArgumentList.Add(a);
                }

                using Process child = Process.Start(start)!;
                string line = child.StandardOutput.ReadToEnd().Trim();
                child.WaitForExit();
                Console.WriteLine($"{variant,-13} {new FileInfo(file).Length / 1024,9} {line}");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    public static void Child(string variant, string file, int batch, bool int8Panels)
    {
        DenseGemm.Int8Panels = int8Panels;
        var x = new float[batch * WideMlp.Inputs];
        var y = new float[batch * WideMlp.Outputs];
        (long ws0, long heap0) = Measure();
        var st0 = Status();
        InferenceSession? session = null;
        WideMlp? mlp = null;
        if (variant.StartsWith("ort-", StringComparison.Ordinal))
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            session = new InferenceSession(file, options);
            using OrtValue input = OrtValue.CreateTensorValueFromMemory(x, [batch, WideMlp.Inputs]);
            using OrtValue output = OrtValue.CreateTensorValueFromMemory(y, [batch, WideMlp.Outputs]);
            using var run = new RunOptions();
            session.Run(run, ["x"], [input], ["y"], [output]);
        }
        else
        {
            mlp = Load(file, variant.EndsWith("-f32", StringComparison.Ordinal), variant.EndsWith("-act", StringComparison.Ordinal), variant.EndsWith("-csr", StringComparison.Ordinal));
            mlp.Predict(x, y, batch);
        }

        (long ws1, long heap1) = Measure();
        var st1 = Status();
        if (Environment.GetEnvironmentVariable("MEMORY_DETAIL") is not null)
        {
            Console.Error.WriteLine(variant + ": " + string.Join(" ", st1.Select(kv => $"{kv.Key} {(kv.Value - st0[kv.Key]) / 1024.0:F2}")) + $" committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0:F2}");
        }

        // Then one batch-64 prediction: batched paths may build per-process data (float panels) or per-thread scratch.
        var x64 = new float[64 * WideMlp.Inputs];
        var y64 = new float[64 * WideMlp.Outputs];
        if (session is not null)
        {
            using OrtValue input = OrtValue.CreateTensorValueFromMemory(x64, [64, WideMlp.Inputs]);
            using OrtValue output = OrtValue.CreateTensorValueFromMemory(y64, [64, WideMlp.Outputs]);
            using var run = new RunOptions();
            session.Run(run, ["x"], [input], ["y"], [output]);
        }
        else
        {
            mlp!.Predict(x64, y64, 64);
        }

        (long ws64, long heap64) = Measure();
        Console.WriteLine($"{(ws1 - ws0) / 1048576.0,17:F1} {(heap1 - heap0) / 1048576.0,18:F1} {(ws64 - ws0) / 1048576.0,20:F1} {(heap64 - heap0) / 1048576.0,21:F1}");
        GC.KeepAlive(mlp);
        session?.Dispose();
    }

    /// <summary>Its own frame, so the file's bytes are not kept alive by a temporary of the caller (tier-0 code).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WideMlp Load(string file, bool decoded, bool int8Activations, bool csr) => new(WeightBlob.LoadFile(file), decoded, int8Activations, csr);

    private static Dictionary<string, long> Status() => File.ReadAllLines("/proc/self/status")
        .Where(l => l.StartsWith("Rss", StringComparison.Ordinal))
        .ToDictionary(l => l.Split(':')[0], l => long.Parse(l.Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));

    private static (long WorkingSet, long Heap) Measure()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        long heap = GC.GetTotalMemory(true);
        using Process me = Process.GetCurrentProcess();
        return (me.WorkingSet64, heap);
    }
}
