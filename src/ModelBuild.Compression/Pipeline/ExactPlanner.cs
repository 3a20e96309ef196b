using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Planning.Lowering;
using ModelBuild.Compression.Representation;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// Plans a model with its float32 weights and no compression passes: the same import, simplification, shape
/// inference and lowering the build runs, for conformance tests, the CLI's coverage report and reference runs.
/// </summary>
public static class ExactPlanner
{
    /// <summary>Plans <paramref name="modelPath"/>; returns the plan text and the weights blob.</summary>
    /// <exception cref="ModelBuildException">MB1xxx for unreadable models, MB3002/MB3003 for what the runtime cannot run.</exception>
    public static (string PlanText, byte[] Blob) Build(string modelPath, string className = "Model", IReadOnlyDictionary<string, int[]>? inputShapes = null)
    {
        return Build(Prepare(modelPath, inputShapes), modelPath, className);
    }

    /// <summary>Plans a graph <see cref="Prepare"/> returned, so a caller can also look at the graph the planner saw.</summary>
    public static (string PlanText, byte[] Blob) Build(ModelGraph graph, string modelPath, string className = "Model")
    {
        var target = new PlanTarget(className, "", Path.GetFileName(modelPath), className + ".weights.mbw");
        var (plan, weights) = PlanBuilder.Build(graph, modelPath, target, new Dictionary<string, StoredMatrix>());
        var (blob, _) = BlobAssembler.Build(weights, new Dictionary<string, float[]>(), entropyCoding: false);
        return (PlanWriter.Write(plan), blob);
    }

    /// <summary>
    /// Plans <paramref name="modelPath"/> for <paramref name="runtime"/> as the build would (no passes): with
    /// <see cref="ModelRuntime.Auto"/>, a model the generated code does not cover gets the ONNX Runtime fallback plan.
    /// </summary>
    /// <returns>The plan text, the blob and <c>generated</c> or <c>onnxruntime</c>.</returns>
    public static (string PlanText, byte[] Blob, string Runtime) Build(string modelPath, string className, ModelRuntime runtime)
    {
        var graph = Prepare(modelPath);
        var request = new CompressionRequest(modelPath, "", className, "", ".", className + ".weights.mbw") { Runtime = runtime };
        var context = new Passes.CompressionContext(graph, modelPath, "", null, null);
        var target = new PlanTarget(className, "", Path.GetFileName(modelPath), request.ResourceName);
        var choice = RuntimeChoice.Make(request, context, target, new Dictionary<string, Graph.DataType>()); // weights stay in their own type
        var (blob, _) = BlobAssembler.Build(choice.Weights, new Dictionary<string, float[]>(), entropyCoding: false, fallbackGraph: choice.FallbackGraph);
        return (PlanWriter.Write(choice.Plan), blob, choice.RuntimeName);
    }

    /// <summary>Every ONNX op type (default domain) the generated runtime has a lowering for, sorted.</summary>
    public static IReadOnlyList<string> CoveredOpTypes => Lowerings.CoveredOpTypes;

    /// <summary>The blockers an MB3003 lists, each <c>OpType 'label' (reason)</c> or <c>graph input/output '...' (reason)</c>; empty for other errors.</summary>
    public static IReadOnlyList<string> Blockers(ModelBuildException e) =>
        e.Data[PlanBuilder.BlockersKey] as string[] ?? [];

    /// <summary>Import, pin input shapes, simplify, infer shapes: the graph the planner sees.</summary>
    public static ModelGraph Prepare(string modelPath, IReadOnlyDictionary<string, int[]>? inputShapes = null)
    {
        var graph = OnnxImporter.Import(modelPath);
        InputPinning.Apply(graph, modelPath, inputShapes);
        GraphOptimizer.Simplify(graph, RuntimeConstantEvaluator.Instance);
        GemmNormalizer.Run(graph);
        ShapeInference.Run(graph);
        return graph;
    }
}
