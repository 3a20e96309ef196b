namespace ModelBuild.Runtime;

/// <summary>How a weight-blob entry stores its values (the <c>format</c> byte of the blob, CONTRACTS.md §2).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum WeightFormat : byte
{
    /// <summary>Plain float32, <c>rows·cols</c> values.</summary>
    Float32 = 1,

    /// <summary>Symmetric int8 per row: value = q·scale[row].</summary>
    Int8 = 2,

    /// <summary>Asymmetric int8 per row: value = (q − zp[row])·scale[row].</summary>
    Int8Asymmetric = 3,
}

/// <summary>The activation fused into <c>Kernels.Dense</c> and <c>Kernels.Conv2D</c>.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum Activation
{
    /// <summary>Identity.</summary>
    None,

    /// <summary>max(0, x).</summary>
    Relu,
}

/// <summary>Element-wise functions for <c>Kernels.Unary</c>; formulas are on the operator structs.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum UnaryFunction
{
    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,

    /// <summary>tanh(x).</summary>
    Tanh,

    /// <summary>x ≥ 0 ? x : alpha·x.</summary>
    LeakyRelu,

    /// <summary>min(max(x, alpha), beta).</summary>
    Clip,

    /// <summary>max(0, min(1, alpha·x + beta)).</summary>
    HardSigmoid,

    /// <summary>x·max(0, min(1, x/6 + 1/2)).</summary>
    HardSwish,

    /// <summary>e^x.</summary>
    Exp,

    /// <summary>−x.</summary>
    Neg,

    /// <summary>|x|.</summary>
    Abs,

    /// <summary>√x.</summary>
    Sqrt,

    /// <summary>The error function (absolute error ≤ 1e-6).</summary>
    Erf,

    /// <summary>Exact GELU: x/2·(1 + erf(x/√2)).</summary>
    Gelu,
}

/// <summary>Element-wise binary functions for <c>Kernels.Binary</c>.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum BinaryFunction
{
    /// <summary>a + b.</summary>
    Add,

    /// <summary>a − b.</summary>
    Sub,

    /// <summary>a · b.</summary>
    Mul,

    /// <summary>a / b.</summary>
    Div,

    /// <summary>max(a, b).</summary>
    Max,

    /// <summary>min(a, b).</summary>
    Min,

    /// <summary>a^b.</summary>
    Pow,
}
