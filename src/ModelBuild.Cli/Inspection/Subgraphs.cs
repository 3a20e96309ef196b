using Google.Protobuf;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Cli.Inspection;

/// <summary>A graph held in a node attribute (an If branch, a Loop or Scan body): its ops and its weights.</summary>
/// <param name="Path">Where it sits, e.g. <c>If 'cond'/then_branch</c>; nested ones extend their parent's path.</param>
/// <param name="OpTypes">One entry per node (Constant nodes are weights, as in the main graph).</param>
/// <param name="Weights">Its initializers and Constant nodes.</param>
public sealed record Subgraph(string Path, IReadOnlyList<string> OpTypes, IReadOnlyList<Tensor> Weights);

/// <summary>
/// Finds every subgraph of a model, at any depth, by reading the graph attributes the IR keeps as opaque
/// <c>AttributeProto</c> bytes. Nothing is executed.
/// </summary>
public static class Subgraphs
{
    // A main-graph attribute sits under ModelProto.graph -> GraphProto.node -> NodeProto.attribute: three message levels.
    private const int AttributeDepthInFile = 3;

    public static IReadOnlyList<Subgraph> Of(ModelGraph graph, string? file, OnnxReadLimits? limits = null)
    {
        limits ??= OnnxReadLimits.Default;
        var found = new List<Subgraph>();
        foreach (var node in graph.Nodes)
        {
            foreach (var attribute in node.Attributes.Where(a => a.Kind == AttributeKind.Opaque))
            {
                var proto = Parse(attribute.OpaqueProto, limits.MaxRecursionDepth - AttributeDepthInFile, file);
                Visit(Label(node.OpType, node.Name, node.Outputs), proto, found);
            }
        }

        return found;
    }

    /// <summary>
    /// Parses with the nesting the attribute has left under the reader's limit, so bytes built in memory (not read
    /// through <see cref="OnnxReader"/>) are held to the same bound; the walk below is then bounded by it too.
    /// </summary>
    private static AttributeProto Parse(byte[] bytes, int depthLeft, string? file)
    {
        try
        {
            using var input = CodedInputStream.CreateWithLimits(new MemoryStream(bytes, writable: false), Math.Max(bytes.Length, 1), Math.Max(depthLeft, 0));
            var proto = new AttributeProto();
            proto.MergeFrom(input);
            return proto;
        }
        catch (InvalidProtocolBufferException e) when (e.Message.Contains("nesting", StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelBuildException(OnnxErrors.LimitExceeded, file,
                $"The model nests subgraphs deeper than the limit of {OnnxReadLimits.Default.MaxRecursionDepth} message levels (MaxRecursionDepth). " +
                "The file is probably corrupt or hostile.", inner: e);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelBuildException(OnnxErrors.InvalidModel, file, $"A node attribute is not a valid ONNX AttributeProto ({e.Message}).", inner: e);
        }
    }

    private static void Visit(string owner, AttributeProto attribute, List<Subgraph> found)
    {
        var graphs = attribute.G is not null
            ? [(attribute.Name, attribute.G)]
            : attribute.Graphs.Select((g, i) => ($"{attribute.Name}[{i}]", g)).ToList();
        foreach (var (name, g) in graphs)
        {
            var path = $"{owner}/{name}";
            var ops = new List<string>();
            var weights = g.Initializer.Select(t => OnnxTensors.ToTensor(t, TensorOrigin.Initializer)).ToList();
            foreach (var node in g.Node)
            {
                if (ConstantNodes.TryConvert(node) is { } constant)
                {
                    weights.Add(constant);
                }
                else
                {
                    ops.Add(node.Domain.Length == 0 || node.Domain == "ai.onnx" ? node.OpType : $"{node.Domain}:{node.OpType}");
                }
            }

            found.Add(new Subgraph(path, ops, weights));
            foreach (var node in g.Node)
            {
                foreach (var inner in node.Attribute)
                {
                    Visit($"{path}/{Label(node.OpType, node.Name, node.Output)}", inner, found);
                }
            }
        }
    }

    /// <summary>Names a node as the planner's messages do: its name, else its first output.</summary>
    private static string Label(string opType, string name, IEnumerable<string> outputs) =>
        $"{opType} '{(name.Length > 0 ? name : outputs.FirstOrDefault(o => o.Length > 0) ?? "?")}'";
}
