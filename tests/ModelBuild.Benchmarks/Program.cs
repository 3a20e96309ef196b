// Run (Release, from the repository root; ~4 minutes for the predictor suite):
//   dotnet run -c Release --project tests/ModelBuild.Benchmarks -- --filter "*PredictorBenchmarks*"
// Kernels only:     ... -- --filter "*ConvBenchmarks*" "*DenseBenchmarks*" "*PoolBenchmarks*"
// Every benchmark uses a ShortRun-sized job (3 warm-ups, 3 iterations, one launch) unless --job is given.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

var config = DefaultConfig.Instance;
if (!args.Contains("--job") && !args.Contains("-j"))
{
    config = config.AddJob(Job.ShortRun.WithId("ShortRun"));
}

BenchmarkSwitcher.FromAssembly(typeof(ModelBuild.Benchmarks.PredictorBenchmarks).Assembly).Run(args, config);
