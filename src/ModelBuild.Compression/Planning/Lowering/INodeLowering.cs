using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// Turns the IR nodes of one operator family into runtime <see cref="ModelBuild.Runtime.Execution.Op"/> records.
/// One class per family; <see cref="Lowerings"/> maps ONNX op types to them. A lowering reads attributes and
/// constant operands, resolves what is static at build time (kernel sizes, folded axes, weight layout) and leaves
/// everything shape-dependent to the op, which computes it per call.
/// </summary>
internal interface INodeLowering
{
    /// <summary>The ONNX op types (default domain) this unit lowers.</summary>
    IReadOnlyList<string> OpTypes { get; }

    /// <summary>Emits the node's ops through <paramref name="c"/>; throws <see cref="UnsupportedNodeException"/> with the reason.</summary>
    void Lower(LoweringContext c, Node node);
}

/// <summary>A node the generated runtime cannot run; the message says why (it ends up in MB3003).</summary>
internal sealed class UnsupportedNodeException(string message) : Exception(message);
