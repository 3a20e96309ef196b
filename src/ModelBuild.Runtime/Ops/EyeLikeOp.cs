using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX EyeLike: a 2-D tensor of the input's shape with ones on diagonal <paramref name="K"/>
/// (<c>y[i, i + k] = 1</c>, 0 elsewhere); the output's type is the <c>dtype</c> attribute or the input's.
/// </summary>
/// <param name="X">Input, 2-D (only its shape is read).</param>
/// <param name="Y">Output.</param>
/// <param name="K">The diagonal: 0 main, positive above, negative below.</param>
public sealed record EyeLikeOp(int X, int Y, int K) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (xs.Length != 2)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} is not 2-D.");
        }

        var size = c.ElementSize(Y);
        var y = c.OutputBytes(Y, xs);
        y.Clear();
        Span<byte> one = stackalloc byte[size];
        switch (c.TypeOf(Y))
        {
            case TensorType.Float32:
                System.Runtime.InteropServices.MemoryMarshal.Write(one, 1f);
                break;
            case TensorType.Int64:
                System.Runtime.InteropServices.MemoryMarshal.Write(one, 1L);
                break;
            default:
                one[0] = 1;
                break;
        }

        for (var i = Math.Max(0, -K); i < xs[0] && (long)i + K < xs[1]; i++)
        {
            one.CopyTo(y.Slice(((i * xs[1]) + i + K) * size, size));
        }
    }
}
