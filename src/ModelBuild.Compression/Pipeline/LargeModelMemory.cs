using System.Runtime;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// Keeps the compressor's peak memory near what it holds on multi-GB models (issue 12: peak RSS ≤ 1.5× the weights
/// for the default int8). Per layer, the storage choice and the passes make float32 copies (64 MB for a 4096² layer)
/// that are garbage a moment later; on the large object heap the GC lets such garbage pile up to gigabytes before it
/// collects, and ONNX Runtime's sessions for the plan check and the accuracy gate then come on top. A full,
/// compacting collection at those points returns the garbage to the system first. Small models never pay for it.
/// </summary>
internal static class LargeModelMemory
{
    /// <summary>A layer this large (in values) is followed by a collection.</summary>
    internal const long LargeLayerValues = 4L << 20;

    /// <summary>A model with this many weight bytes gets a collection before each ONNX Runtime session.</summary>
    internal const long LargeModelBytes = 256L << 20;

    /// <summary>Collects after a layer of <paramref name="values"/> values when it is large.</summary>
    public static void AfterLayer(long values)
    {
        if (values >= LargeLayerValues)
        {
            Collect();
        }
    }

    /// <summary>Collects before an ONNX Runtime session when the model's weights are large.</summary>
    public static void BeforeSession(long modelBytes)
    {
        if (modelBytes >= LargeModelBytes)
        {
            Collect();
        }
    }

    private static void Collect()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
