namespace ModelBuild.Compression.Quantization;

/// <summary>The stored element type of quantised weights.</summary>
public enum WeightType
{
    /// <summary>Signed 8-bit integers.</summary>
    Int8,
}

/// <summary>How many scales a quantised tensor has.</summary>
public enum QuantGranularity
{
    /// <summary>One scale (and zero point) per index along the output-channel axis.</summary>
    PerChannel,

    /// <summary>One scale (and zero point) for the whole tensor.</summary>
    PerTensor,
}
