using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX Shape (opset 15 start/end): the input's dims <c>[Start, End)</c> as a 1-D int64 tensor.</summary>
/// <param name="X">Input (any type).</param>
/// <param name="Y">Output, int64 <c>[End − Start]</c>.</param>
/// <param name="Start">First axis (negative counts from the end; clamped).</param>
/// <param name="End">End axis, exclusive (clamped; <see cref="int.MaxValue"/> for the rank).</param>
public sealed record ShapeOp(int X, int Y, int Start, int End) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var start = Clamp(Start, xs.Length);
        var end = Math.Max(start, Clamp(End, xs.Length));
        var y = c.OutputLongs(Y, [end - start]);
        for (var i = start; i < end; i++)
        {
            y[i - start] = xs[i];
        }
    }

    private static int Clamp(int axis, int rank) => Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);
}
