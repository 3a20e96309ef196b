using System.Runtime.CompilerServices;
using Microsoft.ML.OnnxRuntime;
using ModelBuild.Runtime.Execution;
using ModelBuild.OnnxRuntime;

// The plan's op kinds are ModelBuild.Runtime.Ops.<Kind>Op (CONTRACTS §1); this one ships in ModelBuild.OnnxRuntime.
namespace ModelBuild.Runtime.Ops;

/// <summary>
/// Runs the whole model in ONNX Runtime (plan op <c>OnnxRuntime</c>, CONTRACTS §1): the graph inputs are the
/// context's values <paramref name="Inputs"/>, the graph outputs are written to <paramref name="Outputs"/>, so the
/// generated class around it has the same API, checks and thread-safety as a generated-code predictor.
/// </summary>
/// <remarks>
/// The <see cref="InferenceSession"/> is created once per process, on first use, from the weights blob: entry
/// <paramref name="Graph"/> holds the ONNX graph whose large float initializers are marked external, and the
/// <paramref name="Weights"/> entries (int8, palettes, fp16… as the compression passes stored them) are decoded to
/// float32 and handed to the session under their names. Each thread keeps its input and output OrtValues and reuses
/// them while the input shapes repeat. <c>InferenceSession.Run</c> is thread-safe.
/// </remarks>
/// <param name="Inputs">Value ids of the graph inputs, in ONNX order.</param>
/// <param name="Outputs">Value ids of the graph outputs, in ONNX order.</param>
/// <param name="Graph">The blob entry (format 10, bytes) holding the ONNX graph.</param>
/// <param name="Weights">Blob entries to hand to ONNX Runtime as the initializers of the same name, decoded to float32.</param>
/// <param name="Transposed">Those of <paramref name="Weights"/> stored as the transpose of the 2-D ONNX tensor (MatMul's [K, N]).</param>
public sealed record OnnxRuntimeOp(int[] Inputs, int[] Outputs, int Graph, int[] Weights, int[] Transposed) : Op
{
    private readonly object _gate = new();
    private readonly ConditionalWeakTable<OpContext, ThreadBuffers> _buffers = new();
    private FallbackSession? _session;

    /// <summary>Runs the session on the context's input values and writes its output values.</summary>
    /// <exception cref="ArgumentException">ONNX Runtime refused the inputs (e.g. a shape the model does not accept); the message names the node.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library could not be loaded, or the session could not be created.</exception>
    public override void Execute(OpContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var session = Session(c.Program);
        var buffers = _buffers.GetValue(c, _ => new ThreadBuffers(Inputs.Length, Outputs.Length));
        try
        {
            buffers.Run(session, c, Inputs, Outputs);
        }
        catch (OnnxRuntimeException e)
        {
            throw Fail("ONNX Runtime: " + e.Message);
        }
    }

    private FallbackSession Session(ModelProgram program)
    {
        if (Volatile.Read(ref _session) is { } ready)
        {
            return ready;
        }

        lock (_gate)
        {
            if (_session is null)
            {
                Volatile.Write(ref _session, FallbackSession.Create(program, this));
            }

            return _session;
        }
    }
}
