namespace ModelBuild.Compression.Manifest;

/// <summary>The manifest's top-level <c>"nonFinite"</c>: what happens to a layer weight that holds NaN or ±Inf.</summary>
public enum NonFinitePolicy
{
    /// <summary><c>"error"</c> (default): fail with MB3004 naming the weight and the count; no pass may turn NaN into 0 silently.</summary>
    Error,

    /// <summary><c>"keep"</c>: leave such weights out of every pass and store them exactly (float32), with a note in the report.</summary>
    Keep,
}
