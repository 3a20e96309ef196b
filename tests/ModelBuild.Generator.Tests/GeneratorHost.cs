using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelBuild.Generator.Tests;

/// <summary>Runs <see cref="ModelGenerator"/> through Roslyn's driver, as the compiler does, and compiles the result.</summary>
internal static class GeneratorHost
{
    // Diagnose mode reports CS1591 (missing XML docs) and bad crefs, as a consumer with GenerateDocumentationFile sees them.
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        // The test process's own framework (trusted platform assemblies) plus the runtime library the code calls.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var runtime = Path.Combine(AppContext.BaseDirectory, "ModelBuild.Runtime.dll");
        return [.. paths.Where(p => !p.EndsWith("ModelBuild.Runtime.dll", StringComparison.Ordinal)).Append(runtime)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    public static CSharpCompilation NewCompilation(string assemblyName, params string[] sources) =>
        CSharpCompilation.Create(
            assemblyName,
            sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
            s_references.Value,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release,
                generalDiagnosticOption: ReportDiagnostic.Default,
                warningLevel: 9999));

    public static GeneratorDriver NewDriver(params AdditionalText[] plans) =>
        CSharpGeneratorDriver.Create(
            [new ModelGenerator().AsSourceGenerator()],
            plans,
            ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator on one plan and returns the compilation with the generated source added.</summary>
    public static (Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics) Generate(string className, string plan, params string[] extraSources)
    {
        var driver = NewDriver(new InMemoryAdditionalText("/obj/" + className + ".mbplan", plan));
        driver.RunGeneratorsAndUpdateCompilation(NewCompilation(className + "Assembly", extraSources), out var output, out var diagnostics);
        return (output, diagnostics);
    }
}
