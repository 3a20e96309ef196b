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
    public sealed record Prepared(string Key, string Plan, byte[] Blob, IReadOnlyList<string> OutputShapes, string InputShape)
    {
        public string Namespace => "Conformance." + Key;

        public string ClassName => "Model_" + Key;
    }

    /// <summary>Models whose plan the generator rejected or whose generated code did not compile: key → first error.</summary>
    public IReadOnlyDictionary<string, string> CompileFailures { get; }

    /// <summary>Plans <paramref name="onnx"/>; a refusal is the <see cref="ModelBuildException"/> the build would report.</summary>
    public static Prepared Prepare(string key, byte[] onnx)
    {
        var file = key + ".onnx";
        var graph = OnnxImporter.Import(OnnxReader.Read(onnx, baseDirectory: null, fileNameForMessages: file), null, file);
        GraphOptimizer.Simplify(graph);
        GemmNormalizer.Run(graph);
        ShapeInference.Run(graph);

        var ns = "Conformance." + key;
        var target = new PlanTarget("Model_" + key, ns, file, ns + ".weights.mbw");
        var (plan, weights) = PlanBuilder.Build(graph, file, target, new Dictionary<string, StoredMatrix>());
        var (blob, _) = BlobAssembler.Build(weights, new Dictionary<string, float[]>(), entropyCoding: false);
        plan.OriginalBytes = onnx.Length;
        plan.EmbeddedBytes = blob.Length;
        BlobVerifier.Check(blob, weights, file);
        return new Prepared(key, PlanWriter.Write(plan), blob, plan.Outputs.Select(o => o.Shape).ToList(), plan.Inputs[0].Shape);
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

    /// <summary>Runs the predictor on <paramref name="input"/> (float32, row-major); outputs in ONNX order with their shapes.</summary>
    public IReadOnlyList<(long[] Dims, float[] Data)> Run(string key, float[] input)
    {
        var model = _models[key];
        var type = _assembly?.GetType(model.Namespace + "." + model.ClassName)
            ?? throw new InvalidOperationException($"{key}: no compiled predictor ({CompileFailures.GetValueOrDefault(key)}).");
        var predictor = Activator.CreateInstance(type)!;
        float[][] outputs;
        if (type.GetMethod("Predict", [typeof(float[])]) is { } single)
        {
            outputs = [(float[])Invoke(single, predictor, input)];
        }
        else
        {
            // Several outputs: Predict(XInput) → XOutput, one float[] property per ONNX tensor in declaration order.
            var inputType = _assembly!.GetType(type.FullName + "Input")!;
            var request = Activator.CreateInstance(inputType)!;
            FloatArrays(inputType).Single().SetValue(request, input);
            var response = Invoke(type.GetMethod("Predict", [inputType])!, predictor, request);
            outputs = FloatArrays(response.GetType()).Select(p => (float[])p.GetValue(response)!).ToArray();
        }

        var perSample = Dims(model.InputShape, 1).Skip(1).Aggregate(1L, (a, d) => a * d);
        var batch = perSample == 0 ? 0 : input.Length / perSample;
        return outputs.Select((o, i) => (Dims(model.OutputShapes[i], batch), o)).ToList();
    }

    private static IEnumerable<PropertyInfo> FloatArrays(Type type) =>
        type.GetProperties().Where(p => p.PropertyType == typeof(float[])).OrderBy(p => p.MetadataToken);

    private static object Invoke(MethodInfo method, object target, object argument)
    {
        try
        {
            return method.Invoke(target, [argument])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    /// <summary>A plan shape token ("N,4,5" or "3,4,5"); N is the batch the call ran with.</summary>
    private static long[] Dims(string shape, long batch) => shape.Length == 0 ? []
        : shape.Split(',').Select(d => d == "N" ? batch : long.Parse(d, CultureInfo.InvariantCulture)).ToArray();

    private static CSharpCompilation NewCompilation()
    {
        // The test process's framework plus the runtime library the generated code calls.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var runtime = Path.Combine(AppContext.BaseDirectory, "ModelBuild.Runtime.dll");
        var references = paths.Where(p => !p.EndsWith("ModelBuild.Runtime.dll", StringComparison.Ordinal)).Append(runtime)
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
