using System.Globalization;

namespace ModelBuild.Generator.Model;

/// <summary>
/// A graph input or output: the value it binds, its element type (<c>float32</c>, <c>int64</c>, <c>bool</c>) and its
/// ONNX shape with symbols (<c>batch</c>, <c>height</c>) or <c>?</c> for dims known only per call.
/// <see cref="Identifier"/> is the ONNX name made a unique PascalCase C# identifier.
/// </summary>
internal sealed record TensorSpec(int Index, string Name, string Identifier, int Value, string Type, EquatableArray<string> Shape, string Doc)
{
    /// <summary>The C# element type.</summary>
    public string ElementType => Type switch
    {
        "int64" => "long",
        "bool" => "bool",
        _ => "float",
    };

    /// <summary>Dim <paramref name="i"/> as a number, or -1 when symbolic.</summary>
    public int Dim(int i) => int.TryParse(Shape[i], NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : -1;

    /// <summary>
    /// Whether the tensor is <c>[batch, fixed…]</c>: rank ≥ 1 and every dim after the first a number, so a flat
    /// array of whole samples determines the shape.
    /// </summary>
    public bool IsBatchFirst
    {
        get
        {
            if (Shape.Count == 0)
            {
                return false;
            }

            for (var i = 1; i < Shape.Count; i++)
            {
                if (Dim(i) < 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Elements per sample of a batch-first tensor (Π of the dims after the first).</summary>
    public int ElementsPerSample
    {
        get
        {
            var n = 1;
            for (var i = 1; i < Shape.Count; i++)
            {
                n *= Dim(i);
            }

            return n;
        }
    }
}
