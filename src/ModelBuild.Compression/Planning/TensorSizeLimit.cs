using System.Globalization;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// Refuses, before anything runs, a model whose shapes give a tensor the generated code cannot hold: the runtime keeps
/// each tensor in one byte array (at most <see cref="Array.MaxLength"/> bytes), so such a model would fail on every call,
/// and ONNX Runtime (the plan check's reference) would first spend seconds to minutes filling gigabytes. A Pad, Tile,
/// Expand or Resize with a corrupt attribute or constant is the usual cause.
/// </summary>
internal static class TensorSizeLimit
{
    /// <summary>The most bytes one tensor of the generated code may take.</summary>
    public static long MaxBytes => Array.MaxLength;

    /// <summary>
    /// Throws MB1003 naming the first value whose inferred shape needs more than <see cref="MaxBytes"/> for one call;
    /// symbolic dims count as 1 (the least any call can pass), so a refused model can never run.
    /// </summary>
    public static void Check(ModelGraph graph, string modelPath)
    {
        foreach (var info in graph.Inputs.Concat(graph.ValueInfos.Values).Concat(graph.Outputs))
        {
            if (info.Shape is not { } shape)
            {
                continue;
            }

            var bytes = (decimal)ElementSize(info.ElementType);
            foreach (var dim in shape)
            {
                bytes *= dim.Value is { } v and > 0 ? v : 1;
                if (bytes > MaxBytes)
                {
                    var producer = graph.Producer(info.Name) is { } p ? $"the output of {p.OpType} '{p.Name}'" : "a graph input";
                    throw new ModelBuildException("MB1003", modelPath, string.Create(CultureInfo.InvariantCulture,
                        $"the value '{info.Name}' ({producer}) has shape {shape}: {Elements(shape):N0} elements, more than the generated code holds in one tensor ({MaxBytes:N0} bytes). Check the shape, pads, repeats or scales that give it (a corrupt constant or attribute is the usual cause)."));
                }
            }
        }
    }

    /// <summary>
    /// The value needing the most bytes when each symbolic dim is <paramref name="symbolic"/> (the plan check's batch),
    /// and that size; null when no value has a shape.
    /// </summary>
    public static (string Name, double Bytes)? Largest(ModelGraph graph, int symbolic)
    {
        (string, double)? largest = null;
        foreach (var info in graph.Inputs.Concat(graph.ValueInfos.Values).Concat(graph.Outputs))
        {
            if (info.Shape is { } shape)
            {
                var bytes = shape.Aggregate((double)ElementSize(info.ElementType), (a, d) => a * (d.Value is { } v and > 0 ? v : symbolic));
                if (largest is null || bytes > largest.Value.Item2)
                {
                    largest = (info.Name, bytes);
                }
            }
        }

        return largest;
    }

    private static double Elements(TensorShape shape) => shape.Aggregate(1.0, (a, d) => a * (d.Value is { } v and > 0 ? v : 1));

    /// <summary>Bytes per element in the generated code: float types are computed in float32, integers in int64.</summary>
    private static int ElementSize(DataType type) => type switch
    {
        DataType.Bool or DataType.Int8 or DataType.UInt8 => 1,
        DataType.Int64 or DataType.Int32 or DataType.UInt64 or DataType.UInt32 or DataType.Int16 or DataType.UInt16 => 8,
        _ => 4,
    };
}
