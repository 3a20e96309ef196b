using ModelBuild.Compression.Algorithms.Quantization;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Auto;

/// <summary>Quantises one layer to one auto candidate: round-to-nearest, or GPTQ with the layer's input Hessian.</summary>
internal static class CandidateQuantizer
{
    public static StoredMatrix Quantize(float[] matrix, int rows, int cols, AutoCandidate candidate, double[]? hessian)
    {
        if (!candidate.Gptq)
        {
            return RoundToNearest.Quantize(matrix, rows, cols, candidate);
        }

        var group = candidate.GroupSize == 0 ? cols : Math.Min(candidate.GroupSize, cols);
        var options = new GridOptions(candidate.Bits, Ternary: false, Symmetric: true, GroupSize: group, PerTensor: false);
        var w = Array.ConvertAll(matrix, v => (double)v);
        return Gptq.Quantize(w, rows, cols, hessian!, options, new GptqOptions(), outliers: null, fixedZeros: null).Matrix.ToStored();
    }
}
