using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Validation;
using ModelBuild.Generator;
using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;
using ModelBuild.Onnx;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// The ONE place that calls the ModelBuild pipeline and the generated predictors (swap this file when the planner,
/// plan format or generator API changes). <see cref="Prepare"/> does what CompressionPipeline does with no lossy
/// pass (exact float32 weights): import → simplify → shapes → plan → blob. <see cref="Compile"/> runs the source
/// generator over every plan at once and compiles ONE assembly (one Roslyn compilation for the whole suite is the
/// difference between seconds and many minutes); <see cref="Run"/> calls a predictor through its public API.
/// </summary>
internal sealed class ModelBuildRunner
{
    private readonly Assembly? _assembly;
    private readonly Dictionary<string, Prepared> _models;

    private ModelBuildRunner(Assembly? assembly, Dictionary<string, Prepared> models, Dictionary<string, string> failures)
    {
        _assembly = assembly;
        _models = models;
        CompileFailures = failures;
    }

    /// <summary>A model planned for the generator. <paramref name="Key"/> must be a C# identifier fragment.</summary>
    public sealed record Prepared(string Key, string Plan, byte[] Blob, string Runtime = "generated")
    {
        public string Namespace => "Conformance." + Key;

        public string ClassName => "Model_" + Key;
    }

    /// <summary>Models whose plan the generator rejected or whose generated code did not compile: key → first error.</summary>
    public IReadOnlyDictionary<string, string> CompileFailures { get; }

    /// <summary>Plans <paramref name="onnx"/>; a refusal is the <see cref="ModelBuildException"/> the build would report.</summary>
    public static Prepared Prepare(string key, byte[] onnx, ModelRuntime runtime = ModelRuntime.Auto)
    {
        var dir = Directory.CreateTempSubdirectory("mb-conformance-");
        try
        {
            var file = Path.Combine(dir.FullName, key + ".onnx");
            File.WriteAllBytes(file, onnx);
            var ns = "Conformance." + key;
            // Runtime="Auto", the build's default: ONNX Runtime (ModelBuild.OnnxRuntime) runs what generated code does not cover.
            var (plan, blob, ran) = ExactPlanner.Build(file, "Model_" + key, runtime);
            plan = plan.Replace("namespace\n", "namespace " + ns + "\n", StringComparison.Ordinal)
                .Replace("resource \"Model_" + key + ".weights.mbw\"", "resource \"" + ns + ".weights.mbw\"", StringComparison.Ordinal);
            return new Prepared(key, plan, blob, ran);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Generates and compiles every model's predictor into one in-memory assembly with its blob embedded.</summary>
    public static ModelBuildRunner Compile(IReadOnlyList<Prepared> models)
    {
        var byKey = models.ToDictionary(m => m.Key, StringComparer.Ordinal);
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var parse = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.None);
        var texts = models.Select(m => (AdditionalText)new PlanText($"/conformance/{m.Key}.mbplan", m.Plan)).ToImmutableArray();
        var driver = CSharpGeneratorDriver.Create([new ModelGenerator().AsSourceGenerator()], texts, parse);
        driver.RunGeneratorsAndUpdateCompilation(NewCompilation(), out var compilation, out var generatorDiagnostics);
        foreach (var d in generatorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
        {
            failures.TryAdd(Path.GetFileNameWithoutExtension(d.Location.GetLineSpan().Path), $"generator {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}");
        }

        // A predictor that does not compile must not take the others down: drop its tree and compile again.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var pe = new MemoryStream();
            var resources = models.Where(m => !failures.ContainsKey(m.Key))
                .Select(m => new ResourceDescription(m.Namespace + ".weights.mbw", () => new MemoryStream(m.Blob), isPublic: true));
            var emit = compilation.Emit(pe, manifestResources: resources);
            if (emit.Success)
            {
                pe.Position = 0;
                var assembly = new AssemblyLoadContext("ModelBuild.Conformance.Predictors").LoadFromStream(pe);
                return new ModelBuildRunner(assembly, byKey, failures);
            }

            var broken = emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree is not null)
                .GroupBy(d => d.Location.SourceTree!).ToList();
            if (broken.Count == 0)
            {
                throw new InvalidOperationException("The predictors do not compile: " + string.Join("\n", emit.Diagnostics.Take(10)));
            }

            foreach (var tree in broken)
            {
                var key = Path.GetFileName(tree.Key.FilePath).Replace(".g.cs", "", StringComparison.Ordinal)["Model_".Length..];
                failures.TryAdd(key, "generated code does not compile: " + tree.First().ToString());
            }

            compilation = compilation.RemoveSyntaxTrees(broken.Select(b => b.Key));
        }

        return new ModelBuildRunner(null, byKey, failures);
    }

    /// <summary>Runs the predictor on <paramref name="input"/> through its public API; outputs in ONNX order with their shapes.</summary>
    public IReadOnlyList<(long[] Dims, float[] Data)> Run(string key, Graph.Tensor input)
    {
        var model = _models[key];
        var type = _assembly?.GetType(model.Namespace + "." + model.ClassName)
            ?? throw new InvalidOperationException($"{key}: no compiled predictor ({CompileFailures.GetValueOrDefault(key)}).");
        var predictor = Activator.CreateInstance(type)!;
        var shape = input.Dims.Select(d => checked((int)d)).ToArray();
        var single = type.GetMethods().FirstOrDefault(m => m.Name == "Predict" && m.GetParameters().Length == 3 && m.GetParameters()[1].ParameterType == typeof(int[]));
        if (single is not null)
        {
            var args = new object?[] { Values(input, single.GetParameters()[0].ParameterType), shape, null };
            var output = (Array)Invoke(single, predictor, args);
            return [(((int[])args[2]!).Select(d => (long)d).ToArray(), Floats(output))];
        }

        // Several outputs: Predict(XInput) → XOutput, an array and a shape property per ONNX tensor in declaration order.
        var inputType = _assembly!.GetType(type.FullName + "Input")!;
        var request = Activator.CreateInstance(inputType)!;
        var data = Arrays(inputType).Single();
        data.SetValue(request, Values(input, data.PropertyType));
        inputType.GetProperty(data.Name.TrimStart('@') + "Shape")!.SetValue(request, shape);
        var response = Invoke(type.GetMethod("Predict", [inputType])!, predictor, [request]);
        return Arrays(response.GetType()).Select(p => (
            ((int[])response.GetType().GetProperty(p.Name + "Shape")!.GetValue(response)!).Select(d => (long)d).ToArray(),
            Floats((Array)p.GetValue(response)!))).ToList();
    }

    private static object Values(Graph.Tensor t, Type arrayType) =>
        arrayType == typeof(long[]) ? t.ToInt64s()
        : arrayType == typeof(bool[]) ? t.ToInt64s().Select(v => v != 0).ToArray()
        : t.ToFloats();

    private static float[] Floats(Array values) => values switch
    {
        float[] f => f,
        long[] l => l.Select(v => (float)v).ToArray(),
        bool[] b => b.Select(v => v ? 1f : 0f).ToArray(),
        _ => throw new InvalidOperationException($"unexpected output type {values.GetType()}"),
    };

    private static IEnumerable<PropertyInfo> Arrays(Type type) =>
        type.GetProperties().Where(p => p.PropertyType.IsArray && !p.Name.EndsWith("Shape", StringComparison.Ordinal)).OrderBy(p => p.MetadataToken);

    private static object Invoke(MethodInfo method, object target, object?[] arguments)
    {
        try
        {
            return method.Invoke(target, arguments)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static CSharpCompilation NewCompilation()
    {
        // The test process's framework plus the runtime library the generated code calls.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var runtime = Path.Combine(AppContext.BaseDirectory, "ModelBuild.Runtime.dll");
        var fallback = typeof(ModelBuild.Runtime.Ops.OnnxRuntimeOp).Assembly.Location; // ModelBuild.OnnxRuntime
        var onnxRuntime = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.Location;
        var references = paths.Where(p => !p.EndsWith("ModelBuild.Runtime.dll", StringComparison.Ordinal)).Append(runtime).Append(fallback).Append(onnxRuntime)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        return CSharpCompilation.Create("ModelBuild.Conformance.Predictors", [], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release, concurrentBuild: true));
    }

    private sealed class PlanText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text, Encoding.UTF8);
    }
}
