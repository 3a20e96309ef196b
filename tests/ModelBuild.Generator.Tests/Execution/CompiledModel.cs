using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using ModelBuild.Generator.Model;
using ModelBuild.Generator.Parsing;
using ModelBuild.Generator.Tests.Models;

namespace ModelBuild.Generator.Tests.Execution;

/// <summary>
/// A test model's plan run through the generator, compiled with a harness (user code calling the public API) and
/// its weights blob embedded under the plan's resource name, then loaded: what a user's build produces, in memory.
/// </summary>
internal sealed class CompiledModel
{
    private static readonly ConcurrentDictionary<string, Lazy<CompiledModel>> s_cache = new(StringComparer.Ordinal);
    private readonly Type _harness;

    private CompiledModel(TestModel model)
    {
        Model = model;
        Spec = PlanParser.Parse("/obj/model.mbplan", model.Plan).Spec!;
        var harness = Spec.Inputs.Count == 1 && Spec.Outputs.Count == 1 ? Harnesses.Single(model.FullName, Spec) : Harnesses.Pair;
        var (output, generatorDiagnostics) = GeneratorHost.Generate(Spec.ClassName, model.Plan, harness);
        Assert.Empty(generatorDiagnostics);
        GeneratedSource = output.SyntaxTrees.Last().ToString();

        // The highest warning level with XML-doc diagnostics on: what a strict consumer project would see.
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + GeneratedSource);

        using var pe = new MemoryStream();
        var blob = model.Blob;
        var emit = output.Emit(pe, manifestResources: [new ResourceDescription(Spec.Resource, () => new MemoryStream(blob), isPublic: true)]);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        pe.Position = 0;
        var assembly = new AssemblyLoadContext(Spec.ClassName, isCollectible: true).LoadFromStream(pe);
        _harness = assembly.GetType("Harness", throwOnError: true)!;
    }

    public TestModel Model { get; }

    /// <summary>A one-off compile of a variant (an edited plan), not cached.</summary>
    public static CompiledModel Compile(TestModel model) => new(model);

    public PredictorSpec Spec { get; }

    public string GeneratedSource { get; }

    /// <summary>The compiled model for a <see cref="TestModels"/> case, built once per test run.</summary>
    public static CompiledModel Get(string name) =>
        s_cache.GetOrAdd(name, n => new Lazy<CompiledModel>(() => new CompiledModel(TestModels.Get(n)))).Value;

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
}
