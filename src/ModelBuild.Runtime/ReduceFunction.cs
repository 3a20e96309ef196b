namespace ModelBuild.Runtime;

/// <summary>
/// The ONNX Reduce* operators for <c>Ops.ReduceOp</c>. Each is a pre-map of every element, a fold and a post-map of
/// the folded value (ONNX Operators.md, Reduce*); the value of an empty reduced set follows from the fold's seed.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public enum ReduceFunction
{
    /// <summary>Σ x (empty: 0).</summary>
    Sum,

    /// <summary>Σ x / n (empty: NaN, 0/0 as numpy).</summary>
    Mean,

    /// <summary>max x (empty: −∞).</summary>
    Max,

    /// <summary>min x (empty: +∞).</summary>
    Min,

    /// <summary>Π x (empty: 1).</summary>
    Prod,

    /// <summary>Σ |x| (empty: 0).</summary>
    L1,

    /// <summary>√(Σ x²) (empty: 0).</summary>
    L2,

    /// <summary>log Σ x (empty: −∞).</summary>
    LogSum,

    /// <summary>log Σ eˣ, computed as m + log Σ e^(x − m) with m = max x so nothing overflows (empty: −∞).</summary>
    LogSumExp,

    /// <summary>Σ x² (empty: 0).</summary>
    SumSquare,
}
