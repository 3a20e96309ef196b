using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Auto;

/// <summary>Symmetric linear quantisation by round-to-nearest, one scale per row or per group of inputs (auto's candidates).</summary>
internal static class RoundToNearest
{
    public static LinearQuantized Quantize(float[] matrix, int rows, int cols, AutoCandidate candidate)
    {
        var qmax = (1 << (candidate.Bits - 1)) - 1;
        var group = candidate.GroupSize == 0 ? cols : Math.Min(candidate.GroupSize, cols);
        var groups = (cols + group - 1) / group;
        var codes = new sbyte[matrix.Length];
        var scales = new float[rows * groups];
        for (var r = 0; r < rows; r++)
        {
            for (var g = 0; g < groups; g++)
            {
                var (start, end) = (g * group, Math.Min(cols, (g + 1) * group));
                double max = 0;
                for (var c = start; c < end; c++)
                {
                    max = Math.Max(max, Math.Abs(matrix[(r * cols) + c]));
                }

                var scale = max == 0 ? 1f : (float)(max / qmax);
                scales[(r * groups) + g] = scale;
                for (var c = start; c < end; c++)
                {
                    var q = Math.Round(matrix[(r * cols) + c] / (double)scale, MidpointRounding.ToEven);
                    codes[(r * cols) + c] = (sbyte)Math.Clamp(q, -qmax, qmax);
                }
            }
        }

        return new LinearQuantized(rows, cols, candidate.Bits, group, codes, scales, null);
    }

    /// <summary>Stored bytes: packed codes plus one float32 scale per row or group.</summary>
    public static long Bytes(int rows, int cols, AutoCandidate candidate)
    {
        var group = candidate.GroupSize == 0 ? cols : Math.Min(candidate.GroupSize, cols);
        var groups = (cols + group - 1) / group;
        return ((((long)rows * cols * candidate.Bits) + 7) / 8) + (4L * rows * groups);
    }
}
