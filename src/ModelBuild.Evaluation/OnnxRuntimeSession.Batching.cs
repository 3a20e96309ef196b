namespace ModelBuild.Evaluation;

/// <summary>Whole-dataset runs.</summary>
public sealed partial class OnnxRuntimeSession
{
    /// <summary>
    /// Runs <paramref name="count"/> samples through the first input, <paramref name="batchSize"/> at a time
    /// (or the model's fixed batch), and returns the first output's rows concatenated in sample order.
    /// Each sample is the first input's shape without its batch dimension; where that has unknown dimensions (a
    /// variable image width, a sequence length), the data's own <paramref name="dataShape"/> fills them in.
    /// </summary>
    /// <param name="samples">count samples, concatenated.</param>
    /// <param name="count">Number of samples.</param>
    /// <param name="batchSize">Samples per run (unless the model's batch is fixed).</param>
    /// <param name="dataShape">One sample's shape as the data gives it (<c>CalibrationSet.SampleShape</c>), or null.</param>
    /// <exception cref="ModelBuildException">MB4004 when the input's shape cannot be resolved, MB4002 when the data does not fit it.</exception>
    public float[] RunAll(float[] samples, int count, int batchSize = 256, int[]? dataShape = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int[] sampleShape = SampleShape(samples.Length, count, dataShape);
        int sampleSize = sampleShape.Aggregate(1, (a, d) => a * d);
        int batch = FixedBatch ? BatchSize : Math.Min(batchSize, Math.Max(count, 1));
        string input = FirstInputName, output = FirstOutputName;
        float[]? result = null;
        int rowSize = 0;
        var chunk = new float[batch * sampleSize];
        int[] shape = [batch, .. sampleShape];
        for (int start = 0; start < count; start += batch)
        {
            int n = Math.Min(batch, count - start);
            float[] data = chunk;
            if (!FixedBatch && n < batch)
            {
                data = new float[n * sampleSize];
                shape = [n, .. sampleShape];
            }
            else if (n < batch)
            {
                // A fixed batch larger than what is left: pad with zeros and drop the extra rows.
                Array.Clear(chunk);
            }

            samples.AsSpan(start * sampleSize, n * sampleSize).CopyTo(data);
            var inputs = new Dictionary<string, (float[] Data, int[] Shape)> { [input] = (data, shape) };
            var rows = Run(inputs, [output])[output].Data;
            if (result is null)
            {
                rowSize = rows.Length / shape[0];
                result = new float[(long)rowSize * count > int.MaxValue ? throw new InvalidOperationException("Output too large.") : rowSize * count];
            }

            rows.AsSpan(0, n * rowSize).CopyTo(result.AsSpan(start * rowSize));
        }

        return result ?? [];
    }

    /// <summary>
    /// One sample's shape for the first input: the input's shape without its batch dimension, with any unknown
    /// dimension taken from <paramref name="dataShape"/> (which must then have the same rank and agree on every known
    /// dimension); checked against the data's <paramref name="length"/> values for <paramref name="count"/> samples.
    /// </summary>
    /// <exception cref="ModelBuildException">MB4004 when the input is a scalar or its unknown dimensions cannot be filled in, MB4002 when the data does not fit.</exception>
    public int[] SampleShape(int length, int count, int[]? dataShape)
    {
        int[] full = InputShape(0);
        if (full.Length == 0)
        {
            throw new ModelBuildException(EvaluationErrors.BadDatasetSpec, _displayName, "the model's first input is a scalar; evaluating a dataset needs a [batch, ...] input.");
        }

        int[] sample = full[1..];
        if (sample.Any(d => d < 0))
        {
            bool fits = dataShape is not null && dataShape.Length == sample.Length && dataShape.All(d => d > 0)
                && sample.Zip(dataShape).All(p => p.First < 0 || p.First == p.Second);
            if (!fits)
            {
                string data = dataShape is null ? "the data gives no sample shape" : $"the data's samples are [{string.Join(",", dataShape)}]";
                throw new ModelBuildException(EvaluationErrors.BadDatasetSpec, _displayName,
                    $"the model's first input has shape [{string.Join(",", full)}] (-1: unknown), and {data}, which does not fill in the unknown dimensions. "
                    + $"Give the validation/calibration data samples of rank {sample.Length} that match the known sizes (for synthetic data, \"sampleShape\": [{string.Join(", ", sample.Select(d => d < 0 ? "<size>" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]).");
            }

            sample = dataShape!;
        }

        long size = sample.Aggregate(1L, (a, d) => a * d);
        if (size * count != length)
        {
            throw new ModelBuildException(EvaluationErrors.BadDataFile, _displayName,
                $"the data has {length} values for {count} samples{(count > 0 && length % count == 0 ? $" ({length / count} per sample)" : "")}, but the model's input takes [{string.Join(",", sample)}] ({size} values) per sample. Use data made for this model.");
        }

        return sample;
    }
}
