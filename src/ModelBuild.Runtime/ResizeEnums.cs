namespace ModelBuild.Runtime;

/// <summary>ONNX Resize <c>mode</c>: how an output sample is computed from the input around its source coordinate.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum ResizeMode
{
    /// <summary>The nearest input sample (see <see cref="NearestRounding"/>).</summary>
    Nearest,

    /// <summary>Linear interpolation of the 2 neighbours on each resized axis (bilinear, trilinear…).</summary>
    Linear,

    /// <summary>Cubic convolution of the 4 neighbours on each resized axis (Keys, coefficient A).</summary>
    Cubic,
}

/// <summary>
/// ONNX Resize <c>coordinate_transformation_mode</c>: where output index <c>x</c> samples the input, for input length
/// <c>L</c>, output length <c>L'</c> and scale <c>s</c>.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum ResizeCoordinates
{
    /// <summary>(x + ½)/s − ½.</summary>
    HalfPixel,

    /// <summary>Half pixel about the centre: c·(1 − L'/(s·L)) + (x + ½)/s − ½ with c = L/2.</summary>
    HalfPixelSymmetric,

    /// <summary>L' &gt; 1 ? (x + ½)/s − ½ : 0.</summary>
    PytorchHalfPixel,

    /// <summary>L' = 1 ? 0 : x·(L − 1)/(L' − 1).</summary>
    AlignCorners,

    /// <summary>x/s (also Upsample and Resize-10).</summary>
    Asymmetric,

    /// <summary>(x + ½)/s (Resize-11 only).</summary>
    TfHalfPixelForNn,

    /// <summary>
    /// L' &gt; 1 ? a·(L − 1) + x·(b − a)·(L − 1)/(L' − 1) : (a + b)/2·(L − 1) for the roi [a, b] of the axis; outside
    /// [0, L − 1] the output is <c>extrapolation_value</c>.
    /// </summary>
    TfCropAndResize,
}

/// <summary>ONNX Resize <c>nearest_mode</c>: how a source coordinate becomes an input index (then clamped to the input).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum NearestRounding
{
    /// <summary>Round, halves down.</summary>
    RoundPreferFloor,

    /// <summary>Round, halves up.</summary>
    RoundPreferCeil,

    /// <summary>⌊x⌋.</summary>
    Floor,

    /// <summary>⌈x⌉.</summary>
    Ceil,

    /// <summary>
    /// Upsample and Resize-10, which predate <c>nearest_mode</c>: truncate when the axis is enlarged, ⌈x⌉ when it is
    /// shrunk (ONNX Runtime's rule for these opsets).
    /// </summary>
    Legacy,
}

/// <summary>ONNX Resize <c>keep_aspect_ratio_policy</c> (opset 18), applied when <c>sizes</c> is given.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum AspectRatioPolicy
{
    /// <summary>Each axis gets its requested size.</summary>
    Stretch,

    /// <summary>One scale for all resized axes, the smallest requested: the result fits inside <c>sizes</c>.</summary>
    NotLarger,

    /// <summary>One scale for all resized axes, the largest requested: the result covers <c>sizes</c>.</summary>
    NotSmaller,
}
