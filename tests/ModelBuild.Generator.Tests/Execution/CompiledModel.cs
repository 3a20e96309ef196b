using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using ModelBuild.Generator.Model;
using ModelBuild.Generator.Parsing;

namespace ModelBuild.Generator.Tests.Execution;

/// <summary>
/// A plan run through the generator, compiled with a harness and random weights embedded as the plan's resource,
/// and loaded: what a user's build produces, in memory.
/// </summary>
internal sealed class CompiledModel
{
    private readonly Type _harness;

    public CompiledModel(string plan, string harness, bool embedWeights = true)
    {
        Spec = PlanParser.Parse("/obj/model.mbplan", plan).Spec!;
        var random = new Random(1234);
        var blob = new BlobWriter();
        Weights = Spec.Weights.Select(w => AddWeight(blob, w, random)).ToArray();

        var (output, generatorDiagnostics) = GeneratorHost.Generate(Spec.ClassName, plan, harness);
        Assert.Empty(generatorDiagnostics);
        GeneratedSource = output.SyntaxTrees.Last().ToString();
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + GeneratedSource);

        var bytes = blob.ToArray();
        using var pe = new MemoryStream();
        var resources = embedWeights ? new[] { new ResourceDescription(Spec.Resource, () => new MemoryStream(bytes), isPublic: true) } : [];
        var emit = output.Emit(pe, manifestResources: resources);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        pe.Position = 0;
        var assembly = new AssemblyLoadContext(Spec.ClassName, isCollectible: true).LoadFromStream(pe);
        _harness = assembly.GetType("Harness", throwOnError: true)!;
    }

    public PredictorSpec Spec { get; }

    /// <summary>The dequantised weights, entry by entry, as the reference sees them.</summary>
    public double[][] Weights { get; }

    public string GeneratedSource { get; }

    public T Call<T>(string method, params object[] args)
    {
        try
        {
            return (T)_harness.GetMethod(method)!.Invoke(null, args)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    public static float[] RandomInput(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }

    private static double[] AddWeight(BlobWriter blob, WeightSpec w, Random random)
    {
        var dims = w.Dims.ToArray();
        var rows = dims[0];
        var cols = dims.Skip(1).Aggregate(1, (p, d) => p * d);
        if (w.Format == "int8")
        {
            var q = Enumerable.Range(0, rows * cols).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
            var scales = Enumerable.Range(0, rows).Select(_ => (float)(0.002 + (random.NextDouble() * 0.01))).ToArray();
            blob.AddInt8(w.Name, q, scales, dims);
            return [.. q.Select((v, i) => v * (double)scales[i / cols])];
        }

        var values = Enumerable.Range(0, rows * cols).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        blob.AddFloat32(w.Name, values, dims);
        return [.. values.Select(v => (double)v)];
    }
}
