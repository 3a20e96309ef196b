using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX LayerNormalization (opset 17, computed in float32): over the trailing dims from <paramref name="Axis"/> on,
/// taken as one row of D values, <c>y = (x − mean) / √(var + ε) · Scale + Bias</c> (biased variance). Also the
/// target of the decomposed form exporters write (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add).
/// </summary>
/// <param name="X">Input, rank ≥ 1.</param>
/// <param name="Scale">γ, broadcastable to the normalised dims (<c>x.shape[axis:]</c>) from the right, or -1 for 1.</param>
/// <param name="Bias">β, likewise, or -1 for 0.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Mean">Optional output of the row means (the input's shape with the normalised dims set to 1), or -1.</param>
/// <param name="InvStdDev">Optional output of the rows' <c>1/√(var + ε)</c>, same shape as <paramref name="Mean"/>, or -1.</param>
/// <param name="Axis">First normalised dim (negative counts from the end).</param>
/// <param name="Epsilon">ε added to the variance.</param>
public sealed record LayerNormOp(int X, int Scale, int Bias, int Y, int Mean, int InvStdDev, int Axis, float Epsilon) : Op
{
    /// <inheritdoc/>
    // Mean and InvStdDev keep the input's leading dims, so they hold the samples too.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => SampleFlow.IsInnerAxis(Axis, flow.Rank(X)) && (Scale < 0 || flow.IsConstant(Scale)) && (Bias < 0 || flow.IsConstant(Bias))
            && flow.PerSample(X, Y) && (Mean < 0 || flow.Batched(Mean)) && (InvStdDev < 0 || flow.Batched(InvStdDev));

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (!ShapeMath.TryAxis(Axis, xs.Length, out var axis))
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        var rows = ShapeMath.Product(xs[..axis]);
        var d = ShapeMath.Product(xs[axis..]);
        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        var y = c.OutputFloats(Y, shape);
        Simd.Fill(shape[axis..], 1);
        var mean = Mean >= 0 ? c.OutputFloats(Mean, shape) : default;
        var inv = InvStdDev >= 0 ? c.OutputFloats(InvStdDev, shape) : default;
        if (y.Length == 0)
        {
            return;
        }

        var scratch = c.Scratch(2 * d);
        var gamma = Parameter(c, Scale, xs[axis..], scratch[..d], 1f);
        var beta = Parameter(c, Bias, xs[axis..], scratch[d..], 0f);
        Kernels.LayerNorm(Simd.Best, c.Floats(X), gamma, beta, y, mean, inv, rows, d, Epsilon);
    }

    /// <summary>
    /// γ or β as D floats: the operand itself when it has D values, else repeated into <paramref name="expanded"/>.
    /// A parameter whose dims (leading 1s dropped) are the last dims of the normalised shape repeats with its own
    /// length along the flattened row, which is exactly unidirectional broadcasting over those dims.
    /// </summary>
    private ReadOnlySpan<float> Parameter(OpContext c, int value, ReadOnlySpan<int> normalized, Span<float> expanded, float absent)
    {
        if (value < 0)
        {
            Simd.Fill(expanded, absent);
            return expanded;
        }

        var ps = c.Shape(value);
        var lead = 0;
        while (lead < ps.Length && ps[lead] == 1)
        {
            lead++;
        }

        var dims = ps[lead..];
        if (dims.Length > normalized.Length || !dims.SequenceEqual(normalized[(normalized.Length - dims.Length)..]))
        {
            throw Fail($"the scale or bias {ShapeMath.Format(ps)} does not broadcast to the normalised dims {ShapeMath.Format(normalized)}.");
        }

        var values = c.Floats(value);
        if (values.Length == expanded.Length)
        {
            return values;
        }

        for (var j = 0; j < expanded.Length; j++)
        {
            expanded[j] = values[j % values.Length];
        }

        return expanded;
    }
}
