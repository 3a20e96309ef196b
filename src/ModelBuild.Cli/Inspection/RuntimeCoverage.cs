using ModelBuild.Compression.Pipeline;
using ModelBuild.Graph;

namespace ModelBuild.Cli.Inspection;

/// <summary>
/// What the generated runtime would cover, found by running the build's own planning (<see cref="ExactPlanner"/>)
/// rather than a list kept here, so inspect cannot disagree with a build.
/// </summary>
/// <param name="PlannedNodes">Nodes of the graph the planner saw; null when planning stopped before (e.g. shape inference).</param>
/// <param name="BlockedNodes">Nodes among them MB3003 refuses (graph input/output blockers are not nodes).</param>
/// <param name="Blockers">MB3003's list, each <c>OpType 'label' (reason)</c>.</param>
/// <param name="CoveredOpTypes">The planned graph's op types with at least one node the runtime runs, sorted.</param>
/// <param name="Failure">The error a build would stop with, or null when it would succeed.</param>
public sealed record RuntimeCoverage(
    int? PlannedNodes, int BlockedNodes, IReadOnlyList<string> Blockers, IReadOnlyList<string> CoveredOpTypes, ModelBuildException? Failure)
{
    public static RuntimeCoverage Check(string modelPath)
    {
        ModelGraph? graph = null;
        try
        {
            graph = ExactPlanner.Prepare(modelPath);
            ExactPlanner.Build(graph, modelPath);
            return new RuntimeCoverage(graph.Nodes.Count, 0, [], Covered(graph, []), null);
        }
        catch (ModelBuildException e)
        {
            // A build failure is this section's answer, not inspect's failure: the caller prints it and exits 0.
            var blockers = ExactPlanner.Blockers(e);
            var blockedOps = blockers.Where(b => !b.StartsWith("graph input '", StringComparison.Ordinal) && !b.StartsWith("graph output '", StringComparison.Ordinal))
                .Select(b => b[..b.IndexOf(' ', StringComparison.Ordinal)])
                .ToList();
            return new RuntimeCoverage(graph?.Nodes.Count, blockedOps.Count, blockers, graph is null ? [] : Covered(graph, blockedOps), e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The build's worker turns any exception into MB0009; say the same here, after the rest of the report.
            var internalError = new ModelBuildException("MB0009", modelPath, $"internal error {e.GetType().Name} while planning: {e.Message.ReplaceLineEndings(" ")}", inner: e);
            return new RuntimeCoverage(null, 0, [], [], internalError);
        }
    }

    private static List<string> Covered(ModelGraph graph, List<string> blockedOps)
    {
        var known = ExactPlanner.CoveredOpTypes.ToHashSet(StringComparer.Ordinal);
        return graph.Nodes.Where(n => n.IsDefaultDomain && known.Contains(n.OpType))
            .GroupBy(n => n.OpType, StringComparer.Ordinal)
            .Where(g => g.Count() > blockedOps.Count(op => op == g.Key))
            .Select(g => g.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
