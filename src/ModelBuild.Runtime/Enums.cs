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

    /// <summary>1/x.</summary>
    Reciprocal,

    /// <summary>ln x.</summary>
    Log,

    /// <summary>⌊x⌋.</summary>
    Floor,

    /// <summary>⌈x⌉.</summary>
    Ceil,

    /// <summary>x rounded to the nearest integer, halves to even.</summary>
    Round,

    /// <summary>1, −1, or x itself for ±0 and NaN.</summary>
    Sign,

    /// <summary>sin x.</summary>
    Sin,

    /// <summary>cos x.</summary>
    Cos,

    /// <summary>tan x.</summary>
    Tan,

    /// <summary>asin x.</summary>
    Asin,

    /// <summary>acos x.</summary>
    Acos,

    /// <summary>atan x.</summary>
    Atan,

    /// <summary>sinh x.</summary>
    Sinh,

    /// <summary>cosh x.</summary>
    Cosh,

    /// <summary>asinh x.</summary>
    Asinh,

    /// <summary>acosh x.</summary>
    Acosh,

    /// <summary>atanh x.</summary>
    Atanh,

    /// <summary>x ≥ 0 ? x : alpha·(e^x − 1).</summary>
    Elu,

    /// <summary>beta·(x &gt; 0 ? x : alpha·(e^x − 1)) (beta is ONNX's gamma).</summary>
    Selu,

    /// <summary>max(0, x) + min(0, alpha·(e^(x/alpha) − 1)).</summary>
    Celu,

    /// <summary>ln(1 + e^x).</summary>
    Softplus,

    /// <summary>x / (1 + |x|).</summary>
    Softsign,

    /// <summary>x·tanh(softplus(x)).</summary>
    Mish,

    /// <summary>x &gt; alpha ? x : 0.</summary>
    ThresholdedRelu,

    /// <summary>x &lt; −alpha ? x + beta : x &gt; alpha ? x − beta : 0 (alpha is ONNX's lambd, beta its bias).</summary>
    Shrink,

    /// <summary>Tanh-approximated GELU: x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    GeluTanh,
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

    /// <summary>a mod b with the divisor's sign (floored division; ONNX Mod with fmod = 0).</summary>
    Mod,

    /// <summary>a mod b with the dividend's sign (truncated division, C fmod; ONNX Mod with fmod = 1).</summary>
    FMod,

    /// <summary>a &lt; 0 ? b·a : a (ONNX PRelu, b the slope).</summary>
    PRelu,
}

/// <summary>Element-wise comparisons with a bool result, for <c>CompareOp</c>.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum CompareFunction
{
    /// <summary>a = b.</summary>
    Equal,

    /// <summary>a &lt; b.</summary>
    Less,

    /// <summary>a &gt; b.</summary>
    Greater,

    /// <summary>a ≤ b.</summary>
    LessOrEqual,

    /// <summary>a ≥ b.</summary>
    GreaterOrEqual,
}

/// <summary>Element-wise functions of two bools, for <c>LogicalOp</c>.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum LogicalFunction
{
    /// <summary>a ∧ b.</summary>
    And,

    /// <summary>a ∨ b.</summary>
    Or,

    /// <summary>a ⊕ b.</summary>
    Xor,
}

/// <summary>Reductions over any number of broadcast inputs, for <c>VariadicOp</c>.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum VariadicFunction
{
    /// <summary>Σ inputs, left to right.</summary>
    Sum,

    /// <summary>(Σ inputs) / count.</summary>
    Mean,

    /// <summary>Element-wise maximum.</summary>
    Max,

    /// <summary>Element-wise minimum.</summary>
    Min,
}

/// <summary>Classifications of a float with a bool result, for <c>FloatTestOp</c> (ONNX IsNaN, IsInf).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum FloatTest
{
    /// <summary>x is NaN.</summary>
    NaN,

    /// <summary>x is +∞ or −∞.</summary>
    Infinity,

    /// <summary>x is +∞.</summary>
    PositiveInfinity,

    /// <summary>x is −∞.</summary>
    NegativeInfinity,
}
