namespace ModelBuild.Runtime;

/// <summary>How ONNX Pad fills the border (the <c>mode</c> attribute).</summary>
public enum PadMode
{
    /// <summary>A constant value (<c>constant_value</c>, default 0).</summary>
    Constant,

    /// <summary>The mirror image without repeating the edge element (numpy "reflect").</summary>
    Reflect,

    /// <summary>The edge element repeated (numpy "edge").</summary>
    Edge,

    /// <summary>The tensor repeated cyclically (numpy "wrap", opset 19).</summary>
    Wrap,
}

/// <summary>How ScatterElements / ScatterND combine an update with the existing element (the <c>reduction</c> attribute).</summary>
public enum ScatterReduction
{
    /// <summary>The update replaces the element.</summary>
    None,

    /// <summary>element + update.</summary>
    Add,

    /// <summary>element · update.</summary>
    Mul,

    /// <summary>max(element, update).</summary>
    Max,

    /// <summary>min(element, update).</summary>
    Min,
}
