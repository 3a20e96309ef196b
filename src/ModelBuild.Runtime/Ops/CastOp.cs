using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Cast between float32, int64 and bool. Float to integer truncates toward zero (C semantics, as ONNX
/// Runtime); to bool is "≠ 0"; NaN to int64 is undefined in ONNX and gives <see cref="long.MinValue"/> here.
/// </summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output, the input's shape, of the output value's type.</param>
public sealed record CastOp(int X, int Y) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        var from = c.TypeOf(X);
        switch (c.TypeOf(Y))
        {
            case TensorType.Float32:
                var yf = c.OutputFloats(Y, shape);
                if (from == TensorType.Int64)
                {
                    var x = c.Longs(X);
                    for (var i = 0; i < yf.Length; i++)
                    {
                        yf[i] = x[i];
                    }
                }
                else if (from == TensorType.Bool)
                {
                    var x = c.Bools(X);
                    for (var i = 0; i < yf.Length; i++)
                    {
                        yf[i] = x[i] ? 1f : 0f;
                    }
                }
                else
                {
                    c.Floats(X).CopyTo(yf);
                }

                break;
            case TensorType.Int64:
                var yl = c.OutputLongs(Y, shape);
                if (from == TensorType.Float32)
                {
                    var x = c.Floats(X);
                    for (var i = 0; i < yl.Length; i++)
                    {
                        yl[i] = float.IsNaN(x[i]) ? long.MinValue : (long)x[i];
                    }
                }
                else if (from == TensorType.Bool)
                {
                    var x = c.Bools(X);
                    for (var i = 0; i < yl.Length; i++)
                    {
                        yl[i] = x[i] ? 1 : 0;
                    }
                }
                else
                {
                    c.Longs(X).CopyTo(yl);
                }

                break;
            default:
                var yb = c.OutputBools(Y, shape);
                if (from == TensorType.Float32)
                {
                    var x = c.Floats(X);
                    for (var i = 0; i < yb.Length; i++)
                    {
                        yb[i] = x[i] != 0;
                    }
                }
                else if (from == TensorType.Int64)
                {
                    var x = c.Longs(X);
                    for (var i = 0; i < yb.Length; i++)
                    {
                        yb[i] = x[i] != 0;
                    }
                }
                else
                {
                    c.Bools(X).CopyTo(yb);
                }

                break;
        }
    }
}
