using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Cast between float32, int64 and bool. Float to integer truncates toward zero (C semantics, as ONNX
/// Runtime); to bool is "≠ 0"; NaN to int64 is undefined in ONNX and gives <see cref="long.MinValue"/> here.
/// </summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output, the input's shape, of the output value's type.</param>
/// <param name="RoundTo">
/// <c>"float16"</c> or <c>"bfloat16"</c> when the ONNX target is a half-precision type: the value is computed in
/// float32 but rounded to what that type can hold (round to nearest even), as the model's own cast would; <c>""</c> otherwise.
/// </param>
public sealed record CastOp(int X, int Y, string RoundTo) : Op
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

                Round(yf);
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

    private void Round(Span<float> values)
    {
        if (RoundTo == "float16")
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)(Half)values[i];
            }
        }
        else if (RoundTo == "bfloat16")
        {
            for (var i = 0; i < values.Length; i++)
            {
                // bfloat16 keeps float32's upper 16 bits; round to nearest even on the dropped half (NaN stays NaN).
                if (!float.IsNaN(values[i]))
                {
                    var bits = BitConverter.SingleToUInt32Bits(values[i]);
                    bits += 0x7FFFu + ((bits >> 16) & 1u);
                    values[i] = BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u);
                }
            }
        }
    }
}
