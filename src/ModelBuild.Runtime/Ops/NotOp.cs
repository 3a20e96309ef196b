using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX Not: element-wise logical negation of a bool tensor.</summary>
/// <param name="X">Input (bool), any shape.</param>
/// <param name="Y">Output (bool), the input's shape.</param>
public sealed record NotOp(int X, int Y) : Op
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
        var x = c.Bools(X);
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = !x[i];
        }
    }
}
