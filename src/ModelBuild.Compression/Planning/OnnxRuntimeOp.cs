using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// The plan record of the ONNX Runtime fallback (CONTRACTS §1, <c>op OnnxRuntime</c>), as the compressor writes it.
/// The record that runs lives in ModelBuild.OnnxRuntime (<c>ModelBuild.Runtime.Ops.OnnxRuntimeOp</c>, same keys),
/// so that neither the compressor nor ModelBuild.Runtime reference ONNX Runtime; this one only carries the keys.
/// </summary>
/// <param name="Inputs">Value ids of the graph inputs, in ONNX order.</param>
/// <param name="Outputs">Value ids of the graph outputs, in ONNX order.</param>
/// <param name="Graph">The blob entry (format 10, bytes) holding the ONNX graph.</param>
/// <param name="Weights">Blob entries to hand to ONNX Runtime as the initializers of the same name, decoded to float32.</param>
/// <param name="Transposed">Those of <paramref name="Weights"/> stored as the transpose of the 2-D ONNX tensor (MatMul's [K, N]).</param>
internal sealed record OnnxRuntimeOp(int[] Inputs, int[] Outputs, int Graph, int[] Weights, int[] Transposed) : Op
{
    public override void Execute(OpContext c) =>
        throw new NotSupportedException("The ONNX Runtime fallback runs in ModelBuild.OnnxRuntime, not in the build's plan interpreter.");
}
