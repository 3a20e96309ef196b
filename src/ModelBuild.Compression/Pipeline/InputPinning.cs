using System.Globalization;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// Pins graph input dims (the <c>InputShapes</c> item metadata or the manifest's <c>inputs</c> section): a fixed
/// value replaces a symbolic dim, so shape inference can fold more and the predictor's API takes that size only.
/// </summary>
public static class InputPinning
{
    /// <summary>Parses <c>x=1,3,48,320;mask=1,?</c> (<c>?</c> or a name keeps a dim symbolic).</summary>
    /// <exception cref="ModelBuildException">MB2003 for malformed text.</exception>
    public static Dictionary<string, int[]> Parse(string text, string file)
    {
        var result = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.LastIndexOf('=');
            if (eq <= 0)
            {
                throw new ModelBuildException("MB2003", file, $"InputShapes entry '{part}' must look like name=1,3,224,224 (use ? to keep a dim dynamic).");
            }

            var dims = part[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries).Select(d =>
                int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
                : d.Length > 0 && !char.IsDigit(d[0]) ? -1
                : throw new ModelBuildException("MB2003", file, $"InputShapes entry '{part}': '{d}' is not a dim (a number ≥ 0, or ? to keep it dynamic).")).ToArray();
            result[part[..eq].Trim()] = dims;
        }

        return result;
    }

    /// <summary>Applies <paramref name="shapes"/> to the graph's inputs.</summary>
    /// <exception cref="ModelBuildException">MB3002 naming the input when a name is unknown or a rank or fixed dim disagrees.</exception>
    public static void Apply(ModelGraph graph, string modelPath, IReadOnlyDictionary<string, int[]>? shapes)
    {
        if (shapes is null || shapes.Count == 0)
        {
            return;
        }

        var inputs = graph.Inputs.Where(i => !graph.IsInitializer(i.Name)).ToList();
        foreach (var (name, dims) in shapes)
        {
            var index = graph.Inputs.FindIndex(i => i.Name == name && !graph.IsInitializer(i.Name));
            if (index < 0)
            {
                throw new ModelBuildException("MB3002", modelPath,
                    $"InputShapes names '{name}', which is not an input of the model (inputs: {string.Join(", ", inputs.Select(i => i.Name))}).");
            }

            var input = graph.Inputs[index];
            var old = input.Shape;
            if (old is not null && old.Rank != dims.Length)
            {
                throw new ModelBuildException("MB3002", modelPath, $"InputShapes gives '{name}' {dims.Length} dims but the model declares {old}.");
            }

            var pinned = dims.Select((d, i) =>
            {
                var declared = old?[i] ?? Dim.Unknown;
                if (d < 0)
                {
                    return declared;
                }

                return declared.Value is { } v && v != d
                    ? throw new ModelBuildException("MB3002", modelPath, $"InputShapes pins dim {i} of '{name}' to {d} but the model fixes it at {v}.")
                    : Dim.Of(d);
            });
            graph.Inputs[index] = input with { Shape = new TensorShape(pinned) };
        }
    }
}
