using ModelBuild.Evaluation;

namespace ModelBuild.Cli.Commands;

/// <summary>
/// Checks, before running anything, that the data fits the model: one sample must have as many values as the model's
/// first input takes per batch row, and there must be one label per sample. Otherwise the error says which file
/// holds what and what the model expects, instead of a failure deep inside a batch loop.
/// </summary>
internal static class DataFit
{
    public static void Check(OnnxRuntimeSession session, string modelPath, string dataPath, int[] sampleShape, int count, string? labelsPath, byte[]? labels)
    {
        var input = session.InputShape(0);
        if (input.Length == 0)
        {
            throw new ModelBuildException("MB4004", modelPath,
                $"the model's first input '{session.FirstInputName}' is a scalar; eval needs [batch, ...].");
        }

        var have = sampleShape.Aggregate(1L, (a, d) => a * d);
        if (input[1..].Any(d => d < 0))
        {
            // Unknown dimensions (a variable width, a sequence length) come from the data's own sample shape.
            input = [input[0], .. session.SampleShape(checked((int)(have * count)), count, sampleShape)];
        }

        var perSample = input[1..].Aggregate(1L, (a, d) => a * d);
        if (have != perSample)
        {
            throw new ModelBuildException("MB4002", dataPath,
                $"each sample in this file is [{Dims(sampleShape)}] ({have} values), but the model '{Path.GetFileName(modelPath)}' takes "
                + $"[{Dims(input[1..])}] ({perSample} values) per sample at its input '{session.FirstInputName}'. Use data made for this model, "
                + "or give --sample-shape for raw data.");
        }

        if (labels is not null && labels.Length != count)
        {
            throw new ModelBuildException("MB4002", labelsPath,
                $"the labels file has {labels.Length} labels but the data file '{Path.GetFileName(dataPath)}' has {count} samples (after --count); they must match one to one.");
        }
    }

    private static string Dims(IEnumerable<int> dims) => string.Join(",", dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
