using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using ModelBuild.Generator.Emission;
using ModelBuild.Generator.Model;
using ModelBuild.Generator.Parsing;

namespace ModelBuild.Generator;

/// <summary>
/// Generates a typed predictor class for each <c>*.mbplan</c> additional file (written by the ModelBuild
/// compression step). Pipeline: plan text → <see cref="PlanResult"/> (equatable, cached) → source, with
/// diagnostics reported on their own branch so an unchanged plan does no work at all.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class ModelGenerator : IIncrementalGenerator
{
    /// <summary>Step names for incremental-generation tests (<c>trackIncrementalGeneratorSteps</c>).</summary>
    internal const string ParseStep = "ModelBuild.Parse";
    internal const string SpecStep = "ModelBuild.Spec";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var results = context.AdditionalTextsProvider
            .Where(static file => file.Path.EndsWith(".mbplan", StringComparison.OrdinalIgnoreCase))
            .Select(static (file, token) => PlanParser.Parse(file.Path, file.GetText(token)?.ToString() ?? ""))
            .WithTrackingName(ParseStep);

        var specs = results
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .WithTrackingName(SpecStep);

        context.RegisterSourceOutput(specs, static (spc, spec) =>
            spc.AddSource(PredictorEmitter.HintName(spec), SourceText.From(PredictorEmitter.Emit(spec), System.Text.Encoding.UTF8)));

        var diagnostics = results.Where(static r => r.Diagnostics.Count > 0).Select(static (r, _) => r.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (var d in list)
            {
                spc.ReportDiagnostic(ToDiagnostic(d));
            }
        });
    }

    internal static Diagnostic ToDiagnostic(DiagnosticInfo d)
    {
        var start = new LinePosition(d.Line - 1, d.Column - 1);
        var end = new LinePosition(d.Line - 1, d.Column - 1 + Math.Max(d.Length, 0));
        var location = Location.Create(d.Path, new TextSpan(d.Offset, Math.Max(d.Length, 0)), new LinePositionSpan(start, end));
        return Diagnostic.Create(Descriptor(d.Id), location, d.Message);
    }
}
