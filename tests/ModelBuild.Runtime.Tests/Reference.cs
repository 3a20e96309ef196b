namespace ModelBuild.Runtime.Tests;

/// <summary>Plain float64 definitions of every kernel, written for clarity only.</summary>
internal static class Reference
{
    public static double[] Dense(float[] x, double[] w, float[]? bias, int rows, int n, int k, bool relu, out double[] magnitude)
    {
        var y = new double[rows * n];
        magnitude = new double[rows * n];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = bias is null ? 0 : bias[j], m = Math.Abs(s);
                for (int i = 0; i < k; i++)
                {
                    s += x[(r * k) + i] * w[(j * k) + i];
                    m += Math.Abs(x[(r * k) + i] * w[(j * k) + i]);
                }

                y[(r * n) + j] = relu ? Math.Max(0, s) : s;
                magnitude[(r * n) + j] = m;
            }
        }

        return y;
    }

    public static double[] Conv(float[] x, double[] w, float[]? bias, Conv2DShape s, int batch, bool relu, out double[] magnitude)
    {
        var y = new double[batch * s.OC * s.OH * s.OW];
        magnitude = new double[y.Length];
        int cg = s.C / s.Group, ocg = s.OC / s.Group;
        for (int n = 0; n < batch; n++)
        {
            for (int oc = 0; oc < s.OC; oc++)
            {
                int g = oc / ocg;
                for (int oh = 0; oh < s.OH; oh++)
                {
                    for (int ow = 0; ow < s.OW; ow++)
                    {
                        double sum = bias is null ? 0 : bias[oc], m = Math.Abs(sum);
                        for (int ci = 0; ci < cg; ci++)
                        {
                            for (int kh = 0; kh < s.KH; kh++)
                            {
                                for (int kw = 0; kw < s.KW; kw++)
                                {
                                    int ih = (oh * s.SH) - s.PadTop + (kh * s.DH), iw = (ow * s.SW) - s.PadLeft + (kw * s.DW);
                                    if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W)
                                    {
                                        continue;
                                    }

                                    double xv = x[(((n * s.C) + (g * cg) + ci) * s.H * s.W) + (ih * s.W) + iw];
                                    double wv = w[(oc * cg * s.KH * s.KW) + (((ci * s.KH) + kh) * s.KW) + kw];
                                    sum += xv * wv;
                                    m += Math.Abs(xv * wv);
                                }
                            }
                        }

                        int o = (((n * s.OC) + oc) * s.OH * s.OW) + (oh * s.OW) + ow;
                        y[o] = relu ? Math.Max(0, sum) : sum;
                        magnitude[o] = m;
                    }
                }
            }
        }

        return y;
    }

    public static double[] Pool(float[] x, Pool2DShape s, int batch, bool max, bool countIncludePad)
    {
        var y = new double[batch * s.C * s.OH * s.OW];
        for (int plane = 0; plane < batch * s.C; plane++)
        {
            for (int oh = 0; oh < s.OH; oh++)
            {
                for (int ow = 0; ow < s.OW; ow++)
                {
                    double acc = max ? double.NegativeInfinity : 0;
                    int valid = 0, padded = 0;
                    for (int kh = 0; kh < s.KH; kh++)
                    {
                        for (int kw = 0; kw < s.KW; kw++)
                        {
                            int ih = (oh * s.SH) - s.PadTop + (kh * s.DH), iw = (ow * s.SW) - s.PadLeft + (kw * s.DW);
                            if (ih >= -s.PadTop && ih < s.H + s.PadBottom && iw >= -s.PadLeft && iw < s.W + s.PadRight)
                            {
                                padded++;
                            }

                            if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W)
                            {
                                continue;
                            }

                            double v = x[(plane * s.H * s.W) + (ih * s.W) + iw];
                            acc = max ? Math.Max(acc, v) : acc + v;
                            valid++;
                        }
                    }

                    y[(plane * s.OH * s.OW) + (oh * s.OW) + ow] = max ? acc : acc / (countIncludePad ? padded : valid);
                }
            }
        }

        return y;
    }

    public static double Unary(UnaryFunction f, double x, double alpha, double beta) => f switch
    {
        UnaryFunction.Relu => Math.Max(0, x),
        UnaryFunction.Sigmoid => 1 / (1 + Math.Exp(-x)),
        UnaryFunction.Tanh => Math.Tanh(x),
        UnaryFunction.LeakyRelu => x < 0 ? alpha * x : x,
        UnaryFunction.Clip => Math.Min(Math.Max(x, alpha), beta),
        UnaryFunction.HardSigmoid => Math.Max(0, Math.Min(1, (alpha * x) + beta)),
        UnaryFunction.HardSwish => x * Math.Max(0, Math.Min(1, (x / 6) + 0.5)),
        UnaryFunction.Exp => Math.Exp(x),
        UnaryFunction.Neg => -x,
        UnaryFunction.Abs => Math.Abs(x),
        UnaryFunction.Sqrt => Math.Sqrt(x),
        UnaryFunction.Erf => Erf(x),
        UnaryFunction.Gelu => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        UnaryFunction.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)))),
        UnaryFunction.Reciprocal => 1 / x,
        UnaryFunction.Log => Math.Log(x),
        UnaryFunction.Floor => Math.Floor(x),
        UnaryFunction.Ceil => Math.Ceiling(x),
        UnaryFunction.Round => Math.Round(x, MidpointRounding.ToEven),
        UnaryFunction.Sign => x > 0 ? 1 : x < 0 ? -1 : x,
        UnaryFunction.Sin => Math.Sin(x),
        UnaryFunction.Cos => Math.Cos(x),
        UnaryFunction.Tan => Math.Tan(x),
        UnaryFunction.Asin => Math.Asin(x),
        UnaryFunction.Acos => Math.Acos(x),
        UnaryFunction.Atan => Math.Atan(x),
        UnaryFunction.Sinh => Math.Sinh(x),
        UnaryFunction.Cosh => Math.Cosh(x),
        UnaryFunction.Asinh => Math.Asinh(x),
        UnaryFunction.Acosh => Math.Acosh(x),
        UnaryFunction.Atanh => Math.Atanh(x),
        UnaryFunction.Elu => x >= 0 ? x : alpha * (Math.Exp(x) - 1),
        UnaryFunction.Selu => beta * (x > 0 ? x : alpha * (Math.Exp(x) - 1)),
        UnaryFunction.Celu => Math.Max(0, x) + Math.Min(0, alpha * (Math.Exp(x / alpha) - 1)),
        UnaryFunction.Softplus => Math.Log(1 + Math.Exp(x)),
        UnaryFunction.Softsign => x / (1 + Math.Abs(x)),
        UnaryFunction.Mish => x * Math.Tanh(Math.Log(1 + Math.Exp(x))),
        UnaryFunction.ThresholdedRelu => x > alpha ? x : 0,
        UnaryFunction.Shrink => x < -alpha ? x + beta : x > alpha ? x - beta : 0,
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };

    /// <summary>erf to ~1e-14: Maclaurin series below 3, Laplace's continued fraction for erfc above.</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        double r;
        if (ax < 3)
        {
            double term = ax, sum = ax;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-17; n++)
            {
                term *= -ax * ax / n;
                sum += term / ((2 * n) + 1);
            }

            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(x) = e^−x² / √π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated bottom-up.
            double f = ax;
            for (int n = 80; n >= 1; n--)
            {
                f = ax + (n / 2.0 / f);
            }

            r = 1 - (Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f);
        }

        return x < 0 ? -r : r;
    }

    public static double Binary(BinaryFunction f, double a, double b) => f switch
    {
        BinaryFunction.Add => a + b,
        BinaryFunction.Sub => a - b,
        BinaryFunction.Mul => a * b,
        BinaryFunction.Div => a / b,
        BinaryFunction.Max => Math.Max(a, b),
        BinaryFunction.Min => Math.Min(a, b),
        BinaryFunction.Pow => Math.Pow(a, b),
        BinaryFunction.FMod => a - (Math.Truncate(a / b) * b),
        BinaryFunction.Mod => a - (Math.Floor(a / b) * b),
        BinaryFunction.PRelu => a < 0 ? a * b : a,
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };

    /// <summary>numpy broadcasting by explicit multi-index arithmetic for each output element.</summary>
    public static double[] Broadcast(BinaryFunction f, float[] a, int[] shapeA, bool aBatched, float[] b, int[] shapeB, bool bBatched, int[] shapeOut, int batch)
    {
        int rank = shapeOut.Length;
        int sizeOut = shapeOut.Aggregate(1, (p, d) => p * d), sizeA = shapeA.Aggregate(1, (p, d) => p * d), sizeB = shapeB.Aggregate(1, (p, d) => p * d);
        var y = new double[batch * sizeOut];
        var idx = new int[rank];
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < sizeOut; o++)
            {
                for (int d = rank - 1, rem = o; d >= 0; d--)
                {
                    idx[d] = rem % shapeOut[d];
                    rem /= shapeOut[d];
                }

                int ia = 0, ib = 0;
                for (int d = 0; d < rank; d++)
                {
                    ia = (ia * shapeA[d]) + (shapeA[d] == 1 ? 0 : idx[d]);
                    ib = (ib * shapeB[d]) + (shapeB[d] == 1 ? 0 : idx[d]);
                }

                y[(n * sizeOut) + o] = Binary(f, a[(aBatched ? n * sizeA : 0) + ia], b[(bBatched ? n * sizeB : 0) + ib]);
            }
        }

        return y;
    }

    public static double[] Softmax(float[] x, int outer, int axis, int inner)
    {
        var y = new double[outer * axis * inner];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int a = 0; a < axis; a++)
                {
                    max = Math.Max(max, x[(((o * axis) + a) * inner) + i]);
                }

                for (int a = 0; a < axis; a++)
                {
                    sum += Math.Exp(x[(((o * axis) + a) * inner) + i] - max);
                }

                for (int a = 0; a < axis; a++)
                {
                    y[(((o * axis) + a) * inner) + i] = Math.Exp(x[(((o * axis) + a) * inner) + i] - max) / sum;
                }
            }
        }

        return y;
    }

    public static float[] Transpose(float[] x, int[] shape, int[] perm, int batch)
    {
        int rank = shape.Length, size = shape.Aggregate(1, (p, d) => p * d);
        var outShape = perm.Select(p => shape[p]).ToArray();
        var y = new float[batch * size];
        var outIdx = new int[rank];
        var inIdx = new int[rank];
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < size; o++)
            {
                for (int d = rank - 1, rem = o; d >= 0; d--)
                {
                    outIdx[d] = rem % outShape[d];
                    rem /= outShape[d];
                }

                for (int d = 0; d < rank; d++)
                {
                    inIdx[perm[d]] = outIdx[d];
                }

                int i = 0;
                for (int d = 0; d < rank; d++)
                {
                    i = (i * shape[d]) + inIdx[d];
                }

                y[(n * size) + o] = x[(n * size) + i];
            }
        }

        return y;
    }
}
