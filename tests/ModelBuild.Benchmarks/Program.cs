// Run (Release, from the repository root; about 3 minutes for the predictor suite):
//   dotnet run -c Release --project tests/ModelBuild.Benchmarks -- --filter "*PredictorBenchmarks*"
// Kernels:  ... -- --filter "*ConvBenchmarks*" "*DenseBenchmarks*" "*PoolBenchmarks*"
// Every benchmark uses a ShortRun job (3 warm-ups, 3 iterations, one launch) unless --job is given.
// `... -- profile BlazeFaceModel 1,128,128,3` prints the time per op of a built plan (see OpProfiler; PROFILE_THREADS=2 splits ops, PROFILE_CLOCK=wall times them by the clock instead of the calling thread's CPU time (which leaves out its waits for helpers), PROFILE_CALLS sets the timed calls: the minimum over many calls is what survives this VM's slow phases).
// `... -- profile-ort path/to/model.onnx 1,128,128,3` prints ONNX Runtime's own per-node times for comparison.
// `... -- quick real [model…]` times the real models against ONNX Runtime (thread CPU time, best of 5 rounds).
// `... -- quick pack n k` times the first-use packing of an n × k float32 matrix (conv blocks and Dense panels; PackQuick).
// `... -- quick cold [rounds] [model…]` times the first prediction of a fresh process against ONNX Runtime's session creation + first run (ColdStart); `quick cold-parts` splits it.
// `... -- quick shared-convs [case…]` times the shared models' convolutions (float32) at batch 1 and 64, Winograd next to direct.
// `... -- quick wino [case…]` times the small-image 3×3 convs direct, as WinogradConv (tiles per vector) and as BlockedWinograd F(4×4) / F(2×2).
// `... -- quick int8-conv-shapes` times SqueezeNet's conv shapes with 8-bit activations against float activations over the same int8 weights.
// `... -- quick wino-models [model…]` times mnist_cnn_fc128 and squeezenet_cifar10 at batch 1 and 64 with BlockedWinograd off and on, against ONNX Runtime.
// `... -- quick small-conv [case…]` times few-channel convolutions through ChannelVectorConv and through their previous path, interleaved in one process;
//   `quick small-conv model [model] [rounds]` the whole predictor (1 thread) both ways against ONNX Runtime fp32, thread CPU time.
// `... -- quick pointwise [rounds] [C:OC:H:W…]` int8-weight 1×1 convs at batch 1 through FixedPointConv and through the float tiles, alternating (PointwiseQuick).
// `... -- quick conv-ab [case…]` times those convolutions with ConvGemm.NewTailAndPanelRules off and on, interleaved in one process.
// `... -- quick conv` times only the real models' slowest convolutions (and the 3×3 ones Winograd takes against the direct path).
// `... -- quick int8-conv [model/batch…]` times conv models with 8-bit activations and int8 weights against ORT fp32 (Int8ConvBenchmarks).
// `... -- memory wide [batch] [float-panels]` prints the wide MLP's working set after the first prediction (batch 1 unless given) per storage variant (WideMlpMemory).
// `... -- quick wide-int8 [batch…]`: only ORT fp32, ORT dynamic int8, int8 weights and int8 activations.
// `... -- quick wide-ab int8,int4,pal4 [batch] [rounds]` the listed variants interleaved in one process, ratios to the first per round.
// `... -- quick big-layer n k int8,pal4,int4 [rounds] [batch]` one n × k layer at batch 1 (or the batch given) per variant, interleaved (BigLayerQuick: layers larger than the caches).
// `... -- quick wide-layers int8,pal4 [rounds]` the wide MLP's two large layers alone at batch 1, variants interleaved.
// `... -- quick wide [batch…]` times the wide MLP's variants and ONNX Runtime with a Stopwatch (WideMlpBenchmarks for figures).
// `... -- quick batch` times the batched Dense GEMM and batch-as-one-GEMM Conv against the paths they replaced.
// `... -- quick batch panels` times int8-weight Dense at batch 8/16/64 with int8 panels (widened per call) vs float panels.
// `... -- quick threads [rounds] [model…]` times the shared models at batch 1 and 64, generated and ONNX Runtime with 1 and 2 threads (wall time, interleaved rounds).
// `... -- quick dw [case…]` times BlazeFace's depthwise convs (float32, batch 1).
// `... -- quick pool` times the shared models' pooling windows and NHWC→NCHW Transpose at batch 1 and 64 against the scalar loops (PoolBenchmarks' cases).
// `... -- quick threads split [rounds] [model…]` batch 1, 2 threads with the single-image splits on and off, against 1 thread and ORT (interleaved).
// `... -- quick split-one threads seconds [dense]` one batch-1 layer in a loop on 1 or 2 threads (3 = parts inline), for perf.
// `... -- quick split-layers [rounds]` the shared models' batch-1 layers on 1 thread and split over 2 (single-image splits' break-even).
// `... -- quick threads process model batch threads` times one PredictorBenchmarks case alone in its process, as BenchmarkDotNet does;
//   `quick threads alone model batch threads gen|ort` one side alone (generated with ORT's session disposed).
// `... -- quick threads int8 [rounds] [model/batch…]` the same for the conv models with 8-bit activations (Int8ConvBenchmarks' int8-act, Threads 1 and 2).
// `... -- quick arena` times a ReLU and a small conv with the output at several offsets from the input modulo 4 KiB, and misaligned.
// `... -- quick models` times the shared models at batch 64 against ONNX Runtime, 1 and 2 threads on both sides.
// `... -- quick pair model batch rounds` the generated predictor and ONNX Runtime (1 thread) alternating in one process: median per-round ratio (PairQuick).
// `... -- quick dist model batch gen|ort seconds` one side alone: per-call time percentiles after a warm-up (DistQuick).
// `... -- quick model-split batch rounds` squeezenet over a batch whole, in automatic and hand-made chunks, on 1 and 2 threads, against ORT (ModelSplitQuick).
// `... -- quick chunk-ab batch threads rounds [model…]` the dynamic-batch shared models whole and in automatic chunks, alternating, against ORT (ChunkAbQuick;
//   `sizes` prints each model's samples per chunk, `wide [variant…]` the wide MLP whole against two halves).
// `... -- quick conv-threads batch rounds` SqueezeNet's convs over a batch on 1 and 2 threads, interleaved, and as two plain threads on half the batch each (ConvThreadsQuick; MB_WINO_CHUNK=a,b,… interleaves BlockedWinograd.ChunkFloats values).
// `... -- quick tail batch` SqueezeNet's 1×1 convs on 7×7 with ConvGemm.PixelTails on and off, interleaved.
// `... -- quick ort-no-avx512 out.so` writes ONNX Runtime's library with its AVX-512 kernels unreachable; MODELBUILD_ORT_NATIVE=out.so makes this project use it (OrtWithoutAvx512).
// `... -- quick` prints a few-second Stopwatch check of the hot kernels instead (for iterating on a kernel).
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

if (args is ["quick", "ort-no-avx512", var ortOut])
{
    ModelBuild.Benchmarks.OrtWithoutAvx512.Patch(ortOut);
    return;
}

if (args is ["quick", "dist", var dm, var db, var ds, var dw])
{
    ModelBuild.Benchmarks.DistQuick.Run(dm, int.Parse(db), ds, double.Parse(dw));
    return;
}

if (args is ["quick", "pair", var pm, var pb, var pr])
{
    ModelBuild.Benchmarks.PairQuick.Run(pm, int.Parse(pb), int.Parse(pr));
    return;
}

if (args is ["quick", "chunk-ab", var cab, var cat, var car, .. var cam])
{
    ModelBuild.Benchmarks.ChunkAbQuick.Run(int.Parse(cab), int.Parse(cat), int.Parse(car), cam);
    return;
}

if (args is ["quick", "model-split", var msb, var msr, .. var msm])
{
    ModelBuild.Benchmarks.ModelSplitQuick.Run(int.Parse(msb), int.Parse(msr), msm.Length > 0 ? msm[0] : "squeezenet_cifar10");
    return;
}

if (args is ["quick", "conv-threads", var ctb, var ctr])
{
    ModelBuild.Benchmarks.ConvThreadsQuick.Run(int.Parse(ctb), int.Parse(ctr));
    return;
}

if (args is ["quick", "tail", var tb])
{
    ModelBuild.Benchmarks.TailQuick.Run(int.Parse(tb));
    return;
}

if (args is ["profile", var model, var dims])
{
    ModelBuild.Benchmarks.PairQuick.ApplyExperiment();
    ModelBuild.Benchmarks.OpProfiler.Run(model, [.. dims.Split(',').Select(int.Parse)]);
    return;
}

if (args is ["profile-ort", var onnx, var ortDims])
{
    ModelBuild.Benchmarks.OpProfiler.RunOrt(onnx, [.. ortDims.Split(',').Select(int.Parse)]);
    return;
}

#if REALMODELS_INT8
if (args is ["quick", "int8-check"])
{
    ModelBuild.Benchmarks.Int8CheckQuick.Run();
    return;
}
#endif

#if REALMODELS
if (args is ["quick", "real", .. var models])
{
    ModelBuild.Benchmarks.QuickTimer.RunRealModels(models);
    return;
}
#endif

if (args is ["quick", "first-seconds", var fsModel, var fsBatch, .. var fsRest])
{
    var invariant = System.Globalization.CultureInfo.InvariantCulture;
    ModelBuild.Benchmarks.FirstSecondsQuick.Run(fsModel, int.Parse(fsBatch, invariant), fsRest is [var fsSeconds] ? double.Parse(fsSeconds, invariant) : 3);
    return;
}

if (args is ["quick", "first-events", var feModel])
{
    ModelBuild.Benchmarks.FirstEventsQuick.Run(feModel);
    return;
}

if (args is ["quick", "cold", .. var coldArgs])
{
    ModelBuild.Benchmarks.ColdStart.Run(coldArgs);
    return;
}

if (args is ["quick", "cold-parts", .. var partModels])
{
    ModelBuild.Benchmarks.ColdStart.Parts(partModels);
    return;
}

if (args is ["cold-child", var coldSide, var coldModel])
{
    ModelBuild.Benchmarks.ColdStart.Child(coldSide, coldModel);
    return;
}

if (args is ["cold-ops-child", _, var opsModel])
{
    ModelBuild.Benchmarks.ColdOps.Run(opsModel);
    return;
}

if (args is ["cold-parts-child", _, var partModel])
{
    ModelBuild.Benchmarks.ColdStart.BreakDown(partModel);
    return;
}

if (args is ["memory", "wide", .. var memoryArgs])
{
    ModelBuild.Benchmarks.WideMlpMemory.Run(memoryArgs);
    return;
}

if (args is ["memory-child", var variant, var file, var memoryBatch, var panels])
{
    ModelBuild.Benchmarks.WideMlpMemory.Child(variant, file, int.Parse(memoryBatch, System.Globalization.CultureInfo.InvariantCulture), panels == "int8-panels");
    return;
}

if (args is ["quick", "wide", .. var wideBatches])
{
    ModelBuild.Benchmarks.QuickTimer.RunWideMlp([.. wideBatches.Select(int.Parse)]);
    return;
}

// `... -- quick wide-only int8,int4,pal4 [batch…]`: the listed variants of WideMlpBenchmarks.AllVariants only.
if (args is ["quick", "wide-only", var only, .. var onlyBatches])
{
    ModelBuild.Benchmarks.QuickTimer.RunWideMlp([.. onlyBatches.Select(int.Parse)], only.Split(','));
    return;
}

if (args is ["quick", "big-layer", var bigN, var bigK, var bigVariants, .. var bigRest])
{
    ModelBuild.Benchmarks.BigLayerQuick.Run(int.Parse(bigN), int.Parse(bigK), bigVariants.Split(','), bigRest.Length > 0 ? int.Parse(bigRest[0]) : 10, bigRest.Length > 1 ? int.Parse(bigRest[1]) : 1);
    return;
}

if (args is ["quick", "wide-layers", var layerVariants, .. var layerRest])
{
    ModelBuild.Benchmarks.WideLayerQuick.Run(layerVariants.Split(','), layerRest.Length > 0 ? int.Parse(layerRest[0]) : 20);
    return;
}

if (args is ["quick", "dense-first", var dfN, var dfK, var dfRows])
{
    ModelBuild.Benchmarks.DenseFirstQuick.Run(int.Parse(dfN), int.Parse(dfK), int.Parse(dfRows));
    return;
}

if (args is ["quick", "pack", var packN, var packK])
{
    ModelBuild.Benchmarks.PackQuick.Run(int.Parse(packN), int.Parse(packK));
    return;
}

if (args is ["quick", "sparse", var spRows, var spN, var spK, var spDensity, var spPattern, .. var spThreads])
{
    ModelBuild.Benchmarks.SparseQuick.Run(int.Parse(spRows), int.Parse(spN), int.Parse(spK), double.Parse(spDensity, System.Globalization.CultureInfo.InvariantCulture), spPattern,
        spThreads.Length > 0 ? int.Parse(spThreads[0]) : 1);
    return;
}

if (args is ["quick", "wide-ab", var abVariants, .. var abRest])
{
    ModelBuild.Benchmarks.WideAbQuick.Run(abVariants.Split(','), abRest.Length > 0 ? int.Parse(abRest[0]) : 1, abRest.Length > 1 ? int.Parse(abRest[1]) : 30);
    return;
}

if (args is ["quick", "wide-int8", .. var int8Batches])
{
    ModelBuild.Benchmarks.QuickTimer.RunWideMlp([.. int8Batches.Select(int.Parse)], ["ort-fp32", "ort-int8dyn", "int8", "int8-act"]);
    return;
}

if (args is ["quick", "conv"])
{
    ModelBuild.Benchmarks.QuickTimer.RunRealConvs();
    return;
}

if (args is ["quick", "shared-convs", .. var sharedCases])
{
    ModelBuild.Benchmarks.QuickTimer.RunSharedConvs(sharedCases);
    return;
}

if (args is ["quick", "wino", .. var winoCases])
{
    ModelBuild.Benchmarks.QuickTimer.RunWinogradAb(winoCases);
    return;
}

if (args is ["quick", "int8-conv-shapes", .. var int8Shapes])
{
    ModelBuild.Benchmarks.Int8ConvQuick.Run(int8Shapes);
    return;
}

if (args is ["quick", "wino-models", .. var winoModels])
{
    ModelBuild.Benchmarks.QuickTimer.RunWinogradModels(winoModels);
    return;
}

if (args is ["quick", "conv-ab", .. var abCases])
{
    ModelBuild.Benchmarks.QuickTimer.RunConvRulesAb(abCases);
    return;
}

if (args is ["quick", "int8-conv", .. var convCases])
{
    ModelBuild.Benchmarks.Int8ConvBenchmarks.Quick(convCases);
    return;
}

if (args is ["quick", "split-one", .. var oneArgs])
{
    ModelBuild.Benchmarks.SplitOneQuick.Run(oneArgs);
    return;
}

if (args is ["quick", "batch", ..])
{
    ModelBuild.Benchmarks.BatchQuick.Run(args);
    return;
}

if (args is ["quick", "split-layers", .. var splitArgs])
{
    ModelBuild.Benchmarks.SplitQuick.Run(splitArgs);
    return;
}

if (args is ["quick", "threads", .. var threadArgs])
{
    ModelBuild.Benchmarks.ThreadsQuick.Run(threadArgs);
    return;
}

if (args is ["quick", "dw", .. var dwCases])
{
    ModelBuild.Benchmarks.DepthwiseQuick.Run(dwCases);
    return;
}

if (args is ["quick", "pool"])
{
    ModelBuild.Benchmarks.PoolQuick.Run();
    return;
}

if (args is ["quick", "arena"])
{
    ModelBuild.Benchmarks.ArenaQuick.Run();
    return;
}

if (args is ["quick", "pointwise", .. var pointwiseArgs])
{
    ModelBuild.Benchmarks.PointwiseQuick.Run(pointwiseArgs);
    return;
}

if (args is ["quick", "small-conv", "model", .. var smallModel])
{
    ModelBuild.Benchmarks.SmallConvQuick.RunModel(smallModel is [var m, ..] ? m : "mnist-8", smallModel is [_, var r] ? int.Parse(r) : 3);
    return;
}

if (args is ["quick", "small-conv", .. var smallCases])
{
    ModelBuild.Benchmarks.SmallConvQuick.Run(smallCases);
    return;
}

if (args is ["quick", "models"])
{
    ModelBuild.Benchmarks.QuickTimer.RunModels();
    return;
}

if (args is ["quick"])
{
    ModelBuild.Benchmarks.QuickTimer.Run();
    return;
}

// Median and Min next to the mean: on a shared VM a few disturbed iterations move the mean (and its Ratio); the
// least disturbed iterations (Min) and the middle one are what the closing notes compare.
var config = DefaultConfig.Instance.AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median, BenchmarkDotNet.Columns.StatisticColumn.Min);
// ColdStartBenchmarks brings its own job (a new process per sample); a ShortRun job would measure warm calls.
if (!args.Contains("--job") && !args.Contains("-j") && !args.Any(a => a.Contains("ColdStart", StringComparison.Ordinal)))
{
    config = config.AddJob(Job.ShortRun.WithId("ShortRun"));
}

BenchmarkSwitcher.FromAssembly(typeof(ModelBuild.Benchmarks.PredictorBenchmarks).Assembly).Run(args, config);
