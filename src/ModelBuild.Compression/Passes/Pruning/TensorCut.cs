using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes.Pruning;

/// <summary>Keeps a subset of the indices of one axis of a float tensor.</summary>
internal static class TensorCut
{
    public static Tensor Keep(Tensor tensor, int axis, int[] indices)
    {
        var dims = tensor.Dims;
        var outer = (int)dims.Take(axis).Aggregate(1L, (a, d) => a * d);
        var inner = (int)dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
        var size = (int)dims[axis];
        var values = tensor.ToFloats();
        var result = new float[outer * indices.Length * inner];
        for (var o = 0; o < outer; o++)
        {
            for (var k = 0; k < indices.Length; k++)
            {
                Array.Copy(values, ((o * size) + indices[k]) * inner, result, ((o * indices.Length) + k) * inner, inner);
            }
        }

        var newDims = (long[])dims.Clone();
        newDims[axis] = indices.Length;
        return Tensor.FromFloats(tensor.Name, newDims, result);
    }
}
