namespace ModelBuild.Compression.Reporting;

/// <summary>
/// Weights by name whose lengths are known without computing them: the pipeline's originals decode a layer on each
/// lookup, so the report ranks them by this instead (issue 12: no float32 pass over the whole model to find the largest).
/// </summary>
internal interface IWeightLengths
{
    /// <summary>The number of values of weight <paramref name="key"/> (what a lookup would return).</summary>
    long Length(string key);
}
