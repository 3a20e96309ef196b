namespace ModelBuild.Runtime.Tests;

/// <summary>numpy broadcasting by explicit multi-indices, for reference results.</summary>
internal static class BroadcastReference
{
    public static int[] Shape(params int[][] shapes)
    {
        var rank = shapes.Max(s => s.Length);
        var result = new int[rank];
        for (var d = 0; d < rank; d++)
        {
            result[d] = 1;
            foreach (var s in shapes)
            {
                var dim = d < rank - s.Length ? 1 : s[d - (rank - s.Length)];
                result[d] = dim != 1 ? dim : result[d];
            }
        }

        return result;
    }

    /// <summary>The flat offset in an operand of <paramref name="shape"/> of output element <paramref name="flat"/>.</summary>
    public static int Offset(int flat, int[] outShape, int[] shape)
    {
        int offset = 0, stride = 1;
        for (int d = outShape.Length - 1, k = shape.Length - 1; d >= 0; d--, k--)
        {
            var index = flat % outShape[d];
            flat /= outShape[d];
            if (k >= 0)
            {
                offset += (shape[k] == 1 ? 0 : index) * stride;
                stride *= shape[k];
            }
        }

        return offset;
    }
}
