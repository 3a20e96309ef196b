using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX IsNaN and IsInf (with its detect_negative/detect_positive choice): a float32 tensor → bool per element.</summary>
/// <param name="X">Input (float32), any shape.</param>
/// <param name="Y">Output (bool), the input's shape.</param>
/// <param name="Test">What is tested.</param>
public sealed record FloatTestOp(int X, int Y, FloatTest Test) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        var y = c.OutputBools(Y, shape);
        var x = c.Floats(X);
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = Test switch
            {
                FloatTest.NaN => float.IsNaN(x[i]),
                FloatTest.Infinity => float.IsInfinity(x[i]),
                FloatTest.PositiveInfinity => float.IsPositiveInfinity(x[i]),
                _ => float.IsNegativeInfinity(x[i]),
            };
        }
    }
}
