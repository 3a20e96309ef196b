namespace ModelBuild.Compression.Quantization;

/// <summary>The stored element type of quantised weights.</summary>
public enum WeightType
{
    /// <summary>Signed 8-bit integers.</summary>
    Int8,

    /// <summary>Signed 4-bit integers (16 levels).</summary>
    Int4,

    /// <summary>Signed 3-bit integers (8 levels).</summary>
    Int3,

    /// <summary>Signed 2-bit integers (4 levels).</summary>
    Int2,

    /// <summary>−1, 0, +1 times a scale.</summary>
    Ternary,

    /// <summary>IEEE half precision (no scales).</summary>
    Fp16,

    /// <summary>bfloat16 (the top 16 bits of a float32, rounded to nearest even).</summary>
    Bf16,

    /// <summary>Signed 6-bit integers (64 levels).</summary>
    Int6,

    /// <summary>Signed 5-bit integers (32 levels).</summary>
    Int5,
}

/// <summary>How many scales a quantised tensor has.</summary>
public enum QuantGranularity
{
    /// <summary>One scale (and zero point) per index along the output-channel axis.</summary>
    PerChannel,

    /// <summary>One scale (and zero point) for the whole tensor.</summary>
    PerTensor,

    /// <summary>One scale (and zero point) per group of consecutive inputs of an output channel.</summary>
    PerGroup,
}

/// <summary>How quantised values are chosen.</summary>
public enum QuantMethod
{
    /// <summary>Round each weight to the nearest level.</summary>
    Rtn,

    /// <summary>GPTQ (Frantar et al. 2022): column by column, compensating each rounding error with the inverse Hessian.</summary>
    Gptq,

    /// <summary>AdaRound (Nagel et al. 2020): learn each weight's rounding direction to minimise the layer's output error.</summary>
    AdaRound,
}

/// <summary>How the k-means codebook starts (Han et al., Deep Compression, 2016).</summary>
public enum PaletteInit
{
    /// <summary>Evenly spaced between the smallest and largest weight.</summary>
    Linear,

    /// <summary>At quantiles of the weights (dense where weights are dense).</summary>
    Density,
}
