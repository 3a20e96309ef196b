using System.Buffers.Binary;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Passes;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// Folds a node whose inputs are all constants by running the generated runtime's own operator on them: the node
/// alone becomes a one-node graph, is planned like any model (<see cref="PlanBuilder"/>), written and read back as
/// plan text (<see cref="PlanInterpreter"/>) and run. Every operator the runtime covers is thereby folded with the
/// semantics the shipped code would have had, and a new operator needs no folding code of its own.
/// </summary>
/// <remarks>
/// Declines (returns null) for random operators, for element types the runtime does not compute, for nodes the
/// runtime refuses, and for results much larger than their inputs (a ConstantOfShape of a feature-map size is
/// cheaper to compute per call than to ship as weights).
/// </remarks>
internal sealed class RuntimeConstantEvaluator : IConstantEvaluator
{
    /// <summary>Results up to this many elements are always folded (the folding pass's policy).</summary>
    public const long SmallResultElements = ConstantFoldingPass.SmallResultElements;

    private static readonly HashSet<string> s_nonDeterministic = new(StringComparer.Ordinal)
    {
        "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout",
    };

    public static RuntimeConstantEvaluator Instance { get; } = new();

    /// <inheritdoc/>
    public IReadOnlyList<Tensor>? TryEvaluate(Node node, IReadOnlyList<Tensor?> inputs, long opset)
    {
        if (s_nonDeterministic.Contains(node.OpType) || Lowering.Lowerings.For(node.OpType) is null
            || inputs.Any(t => t is not null && !IsComputed(t.DataType)))
        {
            return null;
        }

        var graph = OneNodeGraph(node, inputs, opset);
        try
        {
            ShapeInference.Run(graph);
            var outputTypes = node.Outputs.Select(o => o.Length == 0 ? DataType.Undefined : graph.GetValueInfo(o)?.ElementType ?? DataType.Undefined).ToArray();
            if (outputTypes.Any(t => t != DataType.Undefined && !IsComputed(t)))
            {
                return null;
            }

            var target = new PlanTarget("Fold", "", "fold", "fold.mbw");
            var (plan, weights) = PlanBuilder.Build(graph, "", target, new Dictionary<string, Representation.StoredMatrix>());
            var (blob, _) = BlobAssembler.Build(weights, new Dictionary<string, float[]>(), entropyCoding: false);
            var program = PlanInterpreter.Load(PlanWriter.Write(plan), WeightBlob.Load(blob));
            var context = new OpContext(program);
            program.Run(context);
            return Results(node, outputTypes, program, context, InputElements(inputs));
        }
        catch (Exception e) when (e is ModelBuildException or ArgumentException or InvalidOperationException or FormatException
            or NotSupportedException or ArithmeticException or IndexOutOfRangeException)
        {
            // The node stays in the graph: the planner then runs it per call or reports why it cannot.
            return null;
        }
    }

    private static ModelGraph OneNodeGraph(Node node, IReadOnlyList<Tensor?> inputs, long opset)
    {
        var graph = new ModelGraph();
        graph.Opsets.Add(new OpsetImport("", opset));
        foreach (var t in inputs)
        {
            if (t is not null)
            {
                graph.SetInitializer(t);
            }
        }

        graph.Nodes.Add(node);
        foreach (var output in node.Outputs.Where(o => o.Length > 0))
        {
            graph.Outputs.Add(new ValueInfo(output, DataType.Undefined, null));
        }

        return graph;
    }

    private static List<Tensor>? Results(Node node, DataType[] types, ModelProgram program, OpContext context, long inputElements)
    {
        var results = new List<Tensor>();
        var next = 0;
        for (var i = 0; i < node.Outputs.Count; i++)
        {
            if (node.Outputs[i].Length == 0)
            {
                results.Add(new Tensor("", DataType.Float, [0], []));
                continue;
            }

            var value = program.Outputs[next++];
            var dims = context.Shape(value).ToArray().Select(d => (long)d).ToArray();
            var count = context.Count(value);
            if (!ConstantFoldingPass.WorthStoring(count, inputElements))
            {
                return null;
            }

            results.Add(ToTensor(node.Outputs[i], types[i], dims, program.Values[value].Type, context, value));
        }

        return results;
    }

    private static Tensor ToTensor(string name, DataType declared, long[] dims, TensorType type, OpContext context, int value)
    {
        switch (type)
        {
            case TensorType.Float32:
                return Tensor.FromFloats(name, dims, context.Floats(value));
            case TensorType.Bool:
                return new Tensor(name, DataType.Bool, dims, context.Bools(value).ToArray().Select(b => b ? (byte)1 : (byte)0).ToArray());
            case TensorType.Int64 when declared == DataType.Int32:
                var longs = context.Longs(value);
                var bytes = new byte[longs.Length * 4];
                for (var i = 0; i < longs.Length; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), checked((int)longs[i]));
                }

                return new Tensor(name, DataType.Int32, dims, bytes);
            default:
                return Tensor.FromInt64s(name, dims, context.Longs(value));
        }
    }

    /// <summary>Types whose values the runtime computes exactly as ONNX does (float16/float64 would be rounded to float32).</summary>
    private static bool IsComputed(DataType type) => type is DataType.Float or DataType.Int64 or DataType.Int32 or DataType.Bool;

    private static long InputElements(IReadOnlyList<Tensor?> inputs) =>
        inputs.OfType<Tensor>().DistinctBy(t => t.Name, StringComparer.Ordinal).Sum(t => t.ElementCount);
}
