using System.Globalization;

namespace ModelBuild.Evaluation.Data;

/// <summary>
/// Reproducible synthetic inputs for models without a dataset at hand (e.g. a CIFAR model checked by agreement or
/// SQNR against its original): <c>"format": "synthetic", "images": "uniform:0,1;seed=7"</c> draws every value
/// independently from U[min, max) with a fixed-seed generator (xorshift64*), so the same spec always gives the same
/// bytes on every machine. <c>normal:mean,std;seed=7</c> draws from a Gaussian (Box–Muller).
/// </summary>
public static class SyntheticData
{
    public static (float[] Samples, int Count, int[] SampleShape) Generate(string source, int[] sampleShape, int count, string? file)
    {
        var parts = source.Split(';', StringSplitOptions.TrimEntries);
        var (kind, args) = parts[0].Split(':') is [var k, var a] ? (k, a.Split(',')) : throw Bad(file, source);
        if (args.Length != 2 || !double.TryParse(args[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var p0)
            || !double.TryParse(args[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var p1) || kind is not ("uniform" or "normal"))
        {
            throw Bad(file, source);
        }

        ulong seed = 1;
        foreach (var option in parts.Skip(1))
        {
            seed = option.StartsWith("seed=", StringComparison.Ordinal) && ulong.TryParse(option[5..], CultureInfo.InvariantCulture, out var s) && s != 0
                ? s
                : throw Bad(file, source);
        }

        var size = sampleShape.Aggregate(1, (x, d) => checked(x * d));
        var values = new float[checked(size * count)];
        var state = seed;
        double Next()
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            return ((state * 2685821657736338717UL) >> 11) * (1.0 / (1UL << 53));
        }

        for (var i = 0; i < values.Length; i++)
        {
            values[i] = kind == "uniform"
                ? (float)(p0 + ((p1 - p0) * Next()))
                : (float)(p0 + (p1 * Math.Sqrt(-2 * Math.Log(1 - Next())) * Math.Cos(2 * Math.PI * Next())));
        }

        return (values, count, sampleShape);
    }

    private static ModelBuildException Bad(string? file, string source) =>
        new(EvaluationErrors.BadDatasetSpec, file, $"synthetic data '{source}' is not understood; write e.g. \"uniform:0,1;seed=7\" or \"normal:0,1;seed=7\".");
}
