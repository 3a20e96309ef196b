namespace ModelBuild.Generator.Model;

/// <summary>
/// A graph input or output. <see cref="Dims"/> excludes the batch dimension; <see cref="Identifier"/> is the
/// ONNX name made a unique PascalCase C# identifier (used for the Input/Output class properties).
/// </summary>
internal sealed record TensorSpec(int Index, string Name, string Identifier, int Buffer, EquatableArray<int> Dims, string Doc)
{
    /// <summary>Floats per sample: the product of <see cref="Dims"/>.</summary>
    public int ElementsPerSample
    {
        get
        {
            var n = 1;
            foreach (var d in Dims)
            {
                n *= d;
            }

            return n;
        }
    }
}
