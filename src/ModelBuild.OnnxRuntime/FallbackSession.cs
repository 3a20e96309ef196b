using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.OnnxRuntime;

/// <summary>
/// The process-wide ONNX Runtime session of one fallback model, built from its weights blob, with the names and
/// element types of its inputs and outputs. Created once; shared by every thread.
/// </summary>
internal sealed class FallbackSession
{
    private FallbackSession(InferenceSession session, string[] inputNames, string[] outputNames, TensorElementType[] inputTypes,
        TensorElementType[] outputTypes)
    {
        Session = session;
        InputNames = inputNames;
        OutputNames = outputNames;
        InputTypes = inputTypes;
        OutputTypes = outputTypes;
    }

    public InferenceSession Session { get; }

    public string[] InputNames { get; }

    public string[] OutputNames { get; }

    /// <summary>ONNX Runtime's element type of each input (the typed API's float/long/bool are converted to it).</summary>
    public TensorElementType[] InputTypes { get; }

    public TensorElementType[] OutputTypes { get; }

    /// <exception cref="InvalidOperationException">The native library is missing or ONNX Runtime refused the graph.</exception>
    public static FallbackSession Create(ModelProgram program, OnnxRuntimeOp op)
    {
        var blob = program.Blob;
        try
        {
            var weights = new List<(string, int[], float[])>(op.Weights.Length);
            foreach (var entry in op.Weights)
            {
                var dims = blob.Dims(entry);
                var floats = blob.Floats(entry);
                if (Array.IndexOf(op.Transposed, entry) >= 0)
                {
                    (floats, dims) = (Transpose(floats, dims[0], dims[1]), [dims[1], dims[0]]);
                }

                weights.Add((blob.Name(entry), dims, floats));
            }

            using var options = new SessionOptions();
            var session = new InferenceSession(InitializerAppender.Append(blob.Bytes(op.Graph), weights), options);
            var inputNames = op.Inputs.Select(id => program.Values[id].Name).ToArray();
            var outputNames = op.Outputs.Select(id => program.Values[id].Name).ToArray();
            return new FallbackSession(session, inputNames, outputNames,
                inputNames.Select(n => session.InputMetadata[n].ElementDataType).ToArray(),
                outputNames.Select(n => session.OutputMetadata[n].ElementDataType).ToArray());
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new InvalidOperationException(
                $"ONNX Runtime's native library could not be loaded ({e.GetBaseException().Message}). The ModelBuild.OnnxRuntime package runs models "
                + "the generated code does not cover in ONNX Runtime (Microsoft.ML.OnnxRuntime), which ships its native library for win-x64, win-arm64, "
                + "linux-x64, linux-arm64 and osx-arm64: publish for one of these RuntimeIdentifiers.", e);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOperationException($"ONNX Runtime could not create the session for the fallback model: {e.Message}", e);
        }
    }

    /// <summary>A rows × cols row-major matrix as cols × rows.</summary>
    private static float[] Transpose(float[] matrix, int rows, int cols)
    {
        var result = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                result[(c * rows) + r] = matrix[(r * cols) + c];
            }
        }

        return result;
    }
}
