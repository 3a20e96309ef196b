using ModelBuild.Generator.Model;

namespace ModelBuild.Generator.Tests.Execution;

/// <summary>
/// Executes a plan in float64, one sample at a time, straight from the formulas in CONTRACTS §1. Independent of
/// the emitter and of the runtime kernels, so it can judge both.
/// </summary>
internal static class ReferenceModel
{
    public static double[][] Run(PredictorSpec spec, double[][] weights, float[][] inputs, int batch)
    {
        var outputs = spec.Outputs.Select(o => new double[batch * o.ElementsPerSample]).ToArray();
        for (var s = 0; s < batch; s++)
        {
            var buffers = spec.Buffers.Select(b => new double[b.Size]).ToArray();
            foreach (var t in spec.Inputs)
            {
                var n = t.ElementsPerSample;
                for (var i = 0; i < n; i++)
                {
                    buffers[t.Buffer][i] = inputs[t.Index][(s * n) + i];
                }
            }

            foreach (var op in spec.Ops)
            {
                Execute(op, buffers, weights);
            }

            foreach (var t in spec.Outputs)
            {
                Array.Copy(buffers[t.Buffer], 0, outputs[t.Index], s * t.ElementsPerSample, t.ElementsPerSample);
            }
        }

        return outputs;
    }

    private static void Execute(OpSpec op, double[][] b, double[][] w)
    {
        double[] In() => b[op.Int("in")];
        double[] Out() => b[op.Int("out")];
        double[] Bias() => op.Int("bias") < 0 ? new double[1 << 20] : w[op.Int("bias")];
        switch (op.Kind)
        {
            case "Dense":
                Dense(In(), w[op.Int("weight")], Bias(), Out(), op.Int("rows"), op.Int("k"), op.Int("n"), op["act"] == "relu");
                break;
            case "Conv":
                ConvReference.Conv(In(), w[op.Int("weight")], Bias(), Out(), op);
                break;
            case "MaxPool" or "AveragePool":
                ConvReference.Pool(In(), Out(), op);
                break;
            case "GlobalAveragePool":
                var hw = op.Int("hw");
                for (var c = 0; c < op.Int("c"); c++)
                {
                    Out()[c] = In().Skip(c * hw).Take(hw).Average();
                }

                break;
            case "Unary":
                var x = In().ToArray();
                for (var i = 0; i < op.Int("count"); i++)
                {
                    Out()[i] = Unary(op["fn"], x[i], Parse(op["alpha"]), Parse(op["beta"]));
                }

                break;
            case "Binary":
                Binary(op, Operand(op["a"], b, w), Operand(op["b"], b, w), Out());
                break;
            case "Softmax":
                Softmax(In(), Out(), op.Int("outer"), op.Int("axis"), op.Int("inner"));
                break;
            case "Transpose":
                Transpose(In(), Out(), op.Ints("shape"), op.Ints("perm"));
                break;
            case "Concat":
                var ins = op.Ints("ins");
                var sizes = op.Ints("sizes");
                var inner = op.Int("inner");
                var o = 0;
                for (var block = 0; block < op.Int("outer"); block++)
                {
                    for (var j = 0; j < ins.Length; j++)
                    {
                        Array.Copy(b[ins[j]], block * sizes[j] * inner, Out(), o, sizes[j] * inner);
                        o += sizes[j] * inner;
                    }
                }

                break;
            case "Copy":
                Array.Copy(In(), Out(), op.Int("count"));
                break;
            case "ChannelAffine":
                var plane = op.Int("hw");
                var scale = w[op.Int("scale")];
                var shift = w[op.Int("bias")];
                var src = In().ToArray();
                for (var i = 0; i < op.Int("c") * plane; i++)
                {
                    Out()[i] = (src[i] * scale[i / plane]) + shift[i / plane];
                }

                break;
            default:
                throw new NotSupportedException(op.Kind);
        }
    }

    private static void Dense(double[] x, double[] weight, double[] bias, double[] y, int rows, int k, int n, bool relu)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = bias[j];
                for (var i = 0; i < k; i++)
                {
                    sum += x[(r * k) + i] * weight[(j * k) + i];
                }

                y[(r * n) + j] = relu ? Math.Max(0, sum) : sum;
            }
        }
    }

    private static double Unary(string fn, double x, double alpha, double beta) => fn switch
    {
        "Relu" => Math.Max(0, x),
        "Sigmoid" => 1 / (1 + Math.Exp(-x)),
        "Tanh" => Math.Tanh(x),
        "LeakyRelu" => x >= 0 ? x : alpha * x,
        "Clip" => Math.Min(Math.Max(x, alpha), beta),
        "Exp" => Math.Exp(x),
        "Neg" => -x,
        "Abs" => Math.Abs(x),
        _ => throw new NotSupportedException(fn),
    };

    private static double Parse(string value) => value switch
    {
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static double[] Operand(string operand, double[][] b, double[][] w) =>
        operand[0] == 'b' ? b[int.Parse(operand[1..])] : w[int.Parse(operand[1..])];

    /// <summary>numpy broadcasting over equal-rank per-sample shapes: size-1 dims repeat.</summary>
    private static void Binary(OpSpec op, double[] a, double[] bb, double[] y)
    {
        var shapeA = op.Ints("shapeA");
        var shapeB = op.Ints("shapeB");
        var shapeOut = op.Ints("shapeOut");
        var count = shapeOut.Aggregate(1, (p, d) => p * d);
        var index = new int[shapeOut.Length];
        for (var i = 0; i < count; i++)
        {
            var rest = i;
            for (var d = shapeOut.Length - 1; d >= 0; d--)
            {
                index[d] = rest % shapeOut[d];
                rest /= shapeOut[d];
            }

            var x = a[Flat(index, shapeA)];
            var z = bb[Flat(index, shapeB)];
            y[i] = op["fn"] switch
            {
                "Add" => x + z,
                "Sub" => x - z,
                "Mul" => x * z,
                "Div" => x / z,
                "Max" => Math.Max(x, z),
                "Min" => Math.Min(x, z),
                "Pow" => Math.Pow(x, z),
                _ => throw new NotSupportedException(op["fn"]),
            };
        }
    }

    private static int Flat(int[] index, int[] shape)
    {
        var flat = 0;
        for (var d = 0; d < shape.Length; d++)
        {
            flat = (flat * shape[d]) + (shape[d] == 1 ? 0 : index[d]);
        }

        return flat;
    }

    private static void Softmax(double[] x, double[] y, int outer, int axis, int inner)
    {
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                double At(int a) => x[(((o * axis) + a) * inner) + i];
                var max = Enumerable.Range(0, axis).Max(At);
                var sum = Enumerable.Range(0, axis).Sum(a => Math.Exp(At(a) - max));
                for (var a = 0; a < axis; a++)
                {
                    y[(((o * axis) + a) * inner) + i] = Math.Exp(At(a) - max) / sum;
                }
            }
        }
    }

    private static void Transpose(double[] x, double[] y, int[] shape, int[] perm)
    {
        var outShape = perm.Select(p => shape[p]).ToArray();
        var index = new int[shape.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var rest = i;
            for (var d = outShape.Length - 1; d >= 0; d--)
            {
                index[perm[d]] = rest % outShape[d];
                rest /= outShape[d];
            }

            y[i] = x[FlatExact(index, shape)];
        }
    }

    private static int FlatExact(int[] index, int[] shape)
    {
        var flat = 0;
        for (var d = 0; d < shape.Length; d++)
        {
            flat = (flat * shape[d]) + index[d];
        }

        return flat;
    }
}
