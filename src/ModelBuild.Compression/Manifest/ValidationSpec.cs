namespace ModelBuild.Compression.Manifest;

/// <summary>What the accuracy gate compares between the original and the compressed model.</summary>
public enum ValidationMetric
{
    /// <summary>Top-1 accuracy against labels.</summary>
    Top1,

    /// <summary>Fraction of samples where both models give the same top-1 answer (no labels needed).</summary>
    Agreement,

    /// <summary>Mean cosine similarity of the output vectors.</summary>
    Cosine,

    /// <summary>Signal-to-noise ratio of the compressed outputs against the original ones, in dB.</summary>
    Sqnr,

    /// <summary>Largest absolute output difference.</summary>
    MaxAbs,
}

/// <summary>The manifest's <c>validation</c> section: data to measure on and the metric.</summary>
public sealed record ValidationSpec(DatasetSection Data, ValidationMetric Metric);

/// <summary>
/// The manifest's <c>tolerance</c>: one bound, e.g. <c>maxAccuracyDrop</c> 0.005 (top-1 may fall by at most half a
/// point), <c>minAgreement</c>, <c>minCosine</c>, <c>minSqnrDb</c> or <c>maxAbsDiff</c>.
/// </summary>
public sealed record ToleranceSpec(string Key, double Value)
{
    public static readonly string[] Keys = ["maxAbsDiff", "maxAccuracyDrop", "minAgreement", "minCosine", "minSqnrDb"];

    /// <summary>The metric this bound needs.</summary>
    public ValidationMetric Metric => Key switch
    {
        "maxAccuracyDrop" => ValidationMetric.Top1,
        "minAgreement" => ValidationMetric.Agreement,
        "minCosine" => ValidationMetric.Cosine,
        "minSqnrDb" => ValidationMetric.Sqnr,
        _ => ValidationMetric.MaxAbs,
    };
}
