using System.Diagnostics;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick pair model batch rounds</c>: one PredictorBenchmarks case, the generated predictor and ONNX Runtime (one
/// thread each) alternating in rounds of ~20 ms in one process, thread CPU time; the median of the per-round ratios is
/// what this VM's slow and fast phases (which move both sides) leave least disturbed. <c>MB_EXP=float</c> switches
/// int8 panels off (<see cref="DenseGemm.Int8Panels"/>), <c>MB_EXP=ymm-conv</c> the 512-bit conv tiles (<see cref="ConvGemm.ZmmTiles"/>), <c>MB_EXP=ymm-wino</c> the
/// 512-bit Winograd GEMM (<see cref="BlockedWinograd.ZmmGemm"/>), <c>MB_EXP=dense</c> the GEMM's sparse-row kernel
/// (<see cref="DenseGemm.SparseEnabled"/>), <c>MB_EXP=panels</c> its row split of parallel calls
/// (<see cref="DenseGemm.SparseRowSplit"/>), <c>MB_EXP=float-gemm</c> the integer GEMM of batched int8 Dense
/// (<see cref="FixedPointGemm.Enabled"/>), <c>MB_EXP=float-gemv</c> the integer GEMV of int8 Dense at batch 1–3
/// (<see cref="FixedPointGemv.Enabled"/>), <c>MB_EXP=float-pointwise</c> the integer pointwise conv of int8 weights
/// (<see cref="FixedPointConv.Enabled"/>), <c>MB_EXP=no-vnni</c> the AVX-VNNI forms of the integer kernels
/// (<see cref="VnniSwitch.Allowed"/>; <c>vnni-after:N</c> their warm-up, <see cref="VnniSwitch.AfterMacs"/>), <c>MB_EXP=prefetch:262144</c> the least layer bytes for software prefetch of the next rows (<see cref="RowPrefetch.MinBytes"/>; <c>vnni-prefetch:N</c> the int8 GEMV's AVX-VNNI form's, <see cref="RowPrefetch.MinBytesVnniInt8"/>), <c>MB_EXP=fp-sparse:0.3</c> its sparse-input limit (<see cref="FixedPointGemm.SparseBelow"/>), <c>MB_EXP=split-small-im2col</c> the least work of a batch-1 im2col conv
/// split (<see cref="ConvImageParallel.Im2ColMinimum"/>), for an A/B.
/// </summary>
internal static class PairQuick
{
    /// <summary>Applies <c>MB_EXP</c> (see the class summary) to the runtime's A/B switches.</summary>
    public static void ApplyExperiment() => ApplyExperiment(Environment.GetEnvironmentVariable("MB_EXP"));

    /// <summary>Applies one experiment name (null: none, every switch on) to the runtime's A/B switches.</summary>
    public static void ApplyExperiment(string? exp)
    {
        DenseGemm.Int8Panels = exp != "float";
        ConvGemm.ZmmTiles = exp != "ymm-conv";
        BlockedWinograd.ZmmGemm = exp != "ymm-wino";
        DenseGemm.SparseEnabled = exp != "dense";
        DenseGemm.SparseRowSplit = exp != "panels";
        ConvImageParallel.Im2ColMinimum = exp != "split-small-im2col";
        FixedPointGemm.Enabled = exp != "float-gemm";
        DirectDense.FixedPoint4Enabled = exp != "float-int4";
        FixedPointGemv.Enabled = exp != "float-gemv";
        FixedPointConv.Enabled = exp != "float-pointwise";
        VnniSwitch.Allowed = exp != "no-vnni";
        DepthwiseConv.Direct5x5Enabled = exp != "dw-virtual";
        if (exp is not null && exp.StartsWith("vnni-after:", StringComparison.Ordinal))
        {
            VnniSwitch.AfterMacs = long.Parse(exp["vnni-after:".Length..], System.Globalization.CultureInfo.InvariantCulture);
        }
        RowPrefetch.MinBytes = exp is not null && exp.StartsWith("prefetch:", StringComparison.Ordinal)
            ? long.Parse(exp["prefetch:".Length..], System.Globalization.CultureInfo.InvariantCulture)
            : 2 << 20;
        RowPrefetch.MinBytesVnniInt8 = exp is not null && exp.StartsWith("vnni-prefetch:", StringComparison.Ordinal)
            ? long.Parse(exp["vnni-prefetch:".Length..], System.Globalization.CultureInfo.InvariantCulture)
            : 256 << 10;
        FixedPointGemm.SparseBelow = exp is not null && exp.StartsWith("fp-sparse:", StringComparison.Ordinal)
            ? double.Parse(exp["fp-sparse:".Length..], System.Globalization.CultureInfo.InvariantCulture)
            : 0.3;
    }

    public static void Run(string model, int batch, int rounds)
    {
        var b = new PredictorBenchmarks { Model = model, Batch = batch, Threads = 1 };
        VnniSwitch.AfterMacs = 0; // steady state from the first timed call, as after a BenchmarkDotNet warm-up
        b.Setup();
        ApplyExperiment();
        for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < 3;)
        {
            b.Generated();
            b.OnnxRuntime();
        }

        int per = 1;
        for (var t = Stopwatch.StartNew(); t.ElapsedMilliseconds < 20; per++)
        {
            b.Generated();
        }

        var gen = new List<double>();
        var ort = new List<double>();
        var ratios = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            long t0 = ThreadClock.Nanoseconds();
            for (int i = 0; i < per; i++)
            {
                b.Generated();
            }

            long t1 = ThreadClock.Nanoseconds();
            for (int i = 0; i < per; i++)
            {
                b.OnnxRuntime();
            }

            long t2 = ThreadClock.Nanoseconds();
            gen.Add((t1 - t0) / 1e3 / per);
            ort.Add((t2 - t1) / 1e3 / per);
            ratios.Add((double)(t1 - t0) / (t2 - t1));
        }

        gen.Sort();
        ort.Sort();
        ratios.Sort();
        Console.WriteLine($"{model} b{batch} 1T, µs: gen median {gen[rounds / 2]:F1} min {gen[0]:F1}, ORT median {ort[rounds / 2]:F1} min {ort[0]:F1}; " +
            $"gen / ORT per round: median {ratios[rounds / 2]:F3} (quartiles {ratios[rounds / 4]:F3}–{ratios[3 * rounds / 4]:F3})");
        b.Cleanup();
    }
}

/// <summary>
/// <c>quick dist model batch gen|ort warm-seconds</c>: one side of a PredictorBenchmarks case alone, after a warm-up, every
/// call timed for 4 s (thread CPU): its first 60 calls and percentiles, to tell a bimodal or drifting case from noise.
/// </summary>
internal static class DistQuick
{
    public static void Run(string model, int batch, string side, double warmSeconds)
    {
        var b = new PredictorBenchmarks { Model = model, Batch = batch, Threads = 1 };
        b.Setup();
        Action call = side == "ort" ? b.OnnxRuntime : b.Generated;
        for (var w = Stopwatch.StartNew(); w.Elapsed.TotalSeconds < warmSeconds;)
        {
            call();
        }

        var times = new List<double>();
        long p0 = ThreadClock.ProcessNanoseconds(), c0 = ThreadClock.Nanoseconds();
        for (var w = Stopwatch.StartNew(); w.Elapsed.TotalSeconds < 4;)
        {
            long t0 = ThreadClock.Nanoseconds();
            call();
            times.Add((ThreadClock.Nanoseconds() - t0) / 1e3);
        }

        Console.WriteLine($"process/thread cpu {(double)(ThreadClock.ProcessNanoseconds() - p0) / (ThreadClock.Nanoseconds() - c0):F2}; first 60 calls: " + string.Join(" ", times.Take(60).Select(t => t.ToString("F0"))));
        times.Sort();
        Console.WriteLine($"{model} b{batch} {side}: n {times.Count} p5 {times[times.Count / 20]:F0} p25 {times[times.Count / 4]:F0} p50 {times[times.Count / 2]:F0} p75 {times[3 * times.Count / 4]:F0} p95 {times[19 * times.Count / 20]:F0}");
        b.Cleanup();
    }
}
