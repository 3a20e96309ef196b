// dotnet run -c Release --project tests/ModelBuild.Benchmarks -- --filter "*Dense*"
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ModelBuild.Benchmarks.DenseBenchmarks).Assembly).Run(args);
