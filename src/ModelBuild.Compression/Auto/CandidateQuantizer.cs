using ModelBuild.Compression.Algorithms.Quantization;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// Quantises one layer to one auto candidate with the same algorithms the <c>quantize</c> pass uses (round-to-nearest
/// or GPTQ with the layer's input Hessian), so a pinned manifest reproduces auto's choice exactly.
/// </summary>
internal static class CandidateQuantizer
{
    public static StoredMatrix Quantize(float[] matrix, int rows, int cols, AutoCandidate candidate, double[]? hessian)
    {
        var group = candidate.GroupSize == 0 ? cols : Math.Min(candidate.GroupSize, cols);
        var options = new GridOptions(candidate.Bits, Ternary: false, Symmetric: true, GroupSize: group, PerTensor: false);
        var w = Array.ConvertAll(matrix, v => (double)v);
        var quantized = candidate.Gptq
            ? Gptq.Quantize(w, rows, cols, hessian!, options, new GptqOptions(), outliers: null, fixedZeros: null).Matrix
            : Algorithms.Quantization.RoundToNearest.Quantize(w, rows, cols, options, outliers: null, fixedZeros: null).Matrix;
        return quantized.ToStored();
    }

    /// <summary>Stored bytes: packed codes plus one float32 scale per row or group.</summary>
    public static long Bytes(int rows, int cols, AutoCandidate candidate)
    {
        var group = candidate.GroupSize == 0 ? cols : Math.Min(candidate.GroupSize, cols);
        var groups = (cols + group - 1) / group;
        return ((((long)rows * cols * candidate.Bits) + 7) / 8) + (4L * rows * groups);
    }
}
