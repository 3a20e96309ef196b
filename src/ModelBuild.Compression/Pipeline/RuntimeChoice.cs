using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Planning;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// Decides what runs a model (the OnnxModel item's <c>Runtime</c>) and plans it: generated code when every node is
/// covered, otherwise (<c>Auto</c>) or always (<c>OnnxRuntime</c>) ONNX Runtime behind the same generated class.
/// </summary>
internal static class RuntimeChoice
{
    /// <summary>The plan, its blob entries and, for the fallback, the graph bytes and the nodes that forced it.</summary>
    public sealed record Choice(ModelPlan Plan, WeightTable Weights, byte[]? FallbackGraph, IReadOnlyList<string> Blockers)
    {
        public bool IsFallback => FallbackGraph is not null;

        /// <summary>The <c>&lt;Class&gt;.runtime</c> file's word, which the build reads to require ModelBuild.OnnxRuntime.</summary>
        public string RuntimeName => IsFallback ? "onnxruntime" : "generated";
    }

    public static Choice Make(CompressionRequest request, CompressionContext context, PlanTarget target, IReadOnlyDictionary<string, DataType> widened)
    {
        IReadOnlyList<string> blockers = [];
        if (request.Runtime != ModelRuntime.OnnxRuntime)
        {
            try
            {
                var (plan, weights) = PlanBuilder.Build(context.Graph, request.ModelPath, target, context.Stored, context.ActivationQuant);
                return new Choice(plan, weights, null, []);
            }
            catch (ModelBuildException e) when (e.Code == "MB3003" && (request.Runtime == ModelRuntime.Auto || !request.Generate))
            {
                blockers = ExactPlanner.Blockers(e) is { Count: > 0 } listed ? listed : [e.Message];
            }
            catch (ModelBuildException e) when (e.Code == "MB3003")
            {
                var hint = " Runtime=\"Generated\" is set on the <OnnxModel> item: set Runtime=\"Auto\" (the default) or \"OnnxRuntime\" to run this model in ONNX Runtime behind the same class (needs the ModelBuild.OnnxRuntime package).";
                var wrapped = new ModelBuildException(e.Code, e.File, e.Message + hint, e.Line, e.Column, e);
                wrapped.Data[PlanBuilder.BlockersKey] = e.Data[PlanBuilder.BlockersKey];
                throw wrapped;
            }
        }

        var (fallback, entries, graph) = FallbackPlanBuilder.Build(context.Graph, request.ModelPath, target, context.Stored, context.Layers(), widened);
        return new Choice(fallback, entries, graph, blockers);
    }

    /// <summary>The build log's line: which runtime the model got and, for Auto, which nodes forced the fallback.</summary>
    public static string Describe(Choice choice, CompressionRequest request) => !choice.IsFallback
        ? "runtime: generated code (every node is covered)"
        : request.Runtime == ModelRuntime.OnnxRuntime
            ? "runtime: ONNX Runtime (Runtime=\"OnnxRuntime\"; needs the ModelBuild.OnnxRuntime package)"
            : $"runtime: ONNX Runtime (needs the ModelBuild.OnnxRuntime package), because the generated code does not cover {choice.Blockers.Count} node(s): {string.Join("; ", choice.Blockers)}";
}
