using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// LSTM, GRU and RNN against a float64 reference written from the ONNX formulas (Operators.md), fed the ONNX weight
/// layouts; the op gets them packed the way the lowering packs them (Wᵀ, Rᵀ per direction, biases summed).
/// </summary>
public sealed class RecurrentTests
{
    private const int Steps = 4, Batch = 3, InputSize = 5, Hidden = 9;

    public static TheoryData<string, RecurrenceDirection, bool, bool, bool, float, bool> Cases() => new()
    {
        // kind, direction, batch-major, bias, initial states (+ peepholes for LSTM), clip, variant (input_forget / linear_before_reset)
        { "LSTM", RecurrenceDirection.Forward, false, true, true, 0f, false },
        { "LSTM", RecurrenceDirection.Reverse, true, false, false, 0f, false },
        { "LSTM", RecurrenceDirection.Bidirectional, false, true, true, 0f, true },
        { "LSTM", RecurrenceDirection.Bidirectional, true, true, false, 0f, false },
        { "GRU", RecurrenceDirection.Forward, false, true, false, 0f, false },
        { "GRU", RecurrenceDirection.Bidirectional, true, true, true, 0.5f, true },
        { "GRU", RecurrenceDirection.Reverse, false, false, true, 0f, false },
        { "GRU", RecurrenceDirection.Forward, true, true, true, 0f, true },
        { "RNN", RecurrenceDirection.Forward, false, true, false, 0f, false },
        { "RNN", RecurrenceDirection.Bidirectional, true, true, true, 0.3f, false },
        { "RNN", RecurrenceDirection.Reverse, false, false, true, 0f, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_onnx_formulas(string kind, RecurrenceDirection direction, bool batchMajor, bool withBias, bool withStates, float clip, bool variant)
    {
        var gates = kind switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        var d = direction == RecurrenceDirection.Bidirectional ? 2 : 1;
        var rng = new Random((gates * 101) + (d * 7) + (batchMajor ? 3 : 0) + (int)(clip * 10));
        var x = TestData.Floats(rng, Steps * Batch * InputSize, -2, 2);
        var w = TestData.Floats(rng, d * gates * Hidden * InputSize);
        var r = TestData.Floats(rng, d * gates * Hidden * Hidden);
        var b = withBias ? TestData.Floats(rng, d * 2 * gates * Hidden) : null;
        var p = withStates && kind == "LSTM" ? TestData.Floats(rng, d * 3 * Hidden) : null;
        var h0 = withStates ? TestData.Floats(rng, d * Batch * Hidden) : null;
        var c0 = withStates && kind == "LSTM" ? TestData.Floats(rng, d * Batch * Hidden) : null;
        var expected = Reference(kind, x, w, r, b, p, h0, c0, d, direction == RecurrenceDirection.Reverse, variant, clip);

        var run = new OpHarness();
        var xv = run.Floats(batchMajor ? SwapFirstTwo(x, Steps, Batch, InputSize) : x, batchMajor ? [Batch, Steps, InputSize] : [Steps, Batch, InputSize]);
        var stateShape = batchMajor ? new[] { Batch, d, Hidden } : [d, Batch, Hidden];
        var hv = h0 is null ? -1 : run.Floats(batchMajor ? SwapFirstTwo(h0, d, Batch, Hidden) : h0, stateShape);
        var cv = c0 is null ? -1 : run.Floats(batchMajor ? SwapFirstTwo(c0, d, Batch, Hidden) : c0, stateShape);
        int y = run.Output(), yh = run.Output(), yc = run.Output();
        var wt = run.BlobFloats(Pack(w, d, gates * Hidden, InputSize, 0, gates * Hidden));
        Op op = kind switch
        {
            "LSTM" => new LstmOp(xv, hv, cv, y, yh, yc, wt, run.BlobFloats(Pack(r, d, 4 * Hidden, Hidden, 0, 4 * Hidden)),
                b is null ? -1 : run.BlobFloats(SumHalves(b, d, 4 * Hidden)), p is null ? -1 : run.BlobFloats(p),
                Hidden, direction, batchMajor, variant, UnaryFunction.Sigmoid, UnaryFunction.Tanh, UnaryFunction.Tanh),
            "GRU" => new GruOp(xv, hv, y, yh, wt, run.BlobFloats(Pack(r, d, 3 * Hidden, Hidden, 0, 2 * Hidden)),
                run.BlobFloats(Pack(r, d, 3 * Hidden, Hidden, 2 * Hidden, Hidden)), b is null ? -1 : run.BlobFloats(GruBias(b, d)),
                Hidden, direction, batchMajor, variant, clip, UnaryFunction.Sigmoid, UnaryFunction.Tanh),
            _ => new RnnOp(xv, hv, y, yh, wt, run.BlobFloats(Pack(r, d, Hidden, Hidden, 0, Hidden)),
                b is null ? -1 : run.BlobFloats(SumHalves(b, d, Hidden)), Hidden, direction, batchMajor, clip, UnaryFunction.Tanh),
        };
        var c = run.Run(op);

        Assert.Equal(batchMajor ? [Batch, Steps, d, Hidden] : new[] { Steps, d, Batch, Hidden }, c.Shape(y).ToArray());
        Assert.Equal(stateShape, c.Shape(yh).ToArray());
        TestData.AssertClose(batchMajor ? SwapYToBatchMajor(expected.Y, d) : expected.Y, c.Floats(y), Tolerances.Dot, 1e-5);
        TestData.AssertClose(batchMajor ? SwapFirstTwo(expected.Yh, d, Batch, Hidden) : expected.Yh, c.Floats(yh), Tolerances.Dot, 1e-5);
        if (kind == "LSTM")
        {
            TestData.AssertClose(batchMajor ? SwapFirstTwo(expected.Yc, d, Batch, Hidden) : expected.Yc, c.Floats(yc), Tolerances.Dot, 1e-5);
        }
    }

    [Fact]
    public void Absent_outputs_are_not_written_and_y_h_alone_is_the_last_step()
    {
        var rng = new Random(5);
        var x = TestData.Floats(rng, Steps * Batch * InputSize);
        var w = TestData.Floats(rng, Hidden * InputSize);
        var r = TestData.Floats(rng, Hidden * Hidden);
        var expected = Reference("RNN", x, w, r, null, null, null, null, 1, false, false, 0f);
        var run = new OpHarness();
        int xv = run.Floats(x, Steps, Batch, InputSize), yh = run.Output();
        var c = run.Run(new RnnOp(xv, -1, -1, yh, run.BlobFloats(Pack(w, 1, Hidden, InputSize, 0, Hidden)),
            run.BlobFloats(Pack(r, 1, Hidden, Hidden, 0, Hidden)), -1, Hidden, RecurrenceDirection.Forward, false, 0f, UnaryFunction.Tanh));
        TestData.AssertClose(expected.Yh, c.Floats(yh), Tolerances.Dot, 1e-5);
    }

    [Fact]
    public void Refuses_an_input_size_that_does_not_match_the_weights()
    {
        var run = new OpHarness();
        int xv = run.Floats(new float[Steps * Batch * 4], Steps, Batch, 4), yh = run.Output();
        var op = new RnnOp(xv, -1, -1, yh, run.BlobFloats(new float[Hidden * InputSize]), run.BlobFloats(new float[Hidden * Hidden]), -1,
            Hidden, RecurrenceDirection.Forward, false, 0f, UnaryFunction.Tanh) { Node = "rnn" };
        var e = Assert.Throws<ArgumentException>(() => run.Run(op));
        Assert.Contains("'rnn'", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The ONNX formulas in float64, time-major: Y <c>[T, D, B, H]</c>, Y_h and Y_c <c>[D, B, H]</c>.</summary>
    private static (double[] Y, double[] Yh, double[] Yc) Reference(string kind, float[] x, float[] w, float[] r, float[]? b, float[]? p,
        float[]? h0, float[]? c0, int dirs, bool reverseOnly, bool variant, float clip)
    {
        var gates = kind switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        int gh = gates * Hidden;
        var y = new double[Steps * dirs * Batch * Hidden];
        var yh = new double[dirs * Batch * Hidden];
        var yc = new double[dirs * Batch * Hidden];
        double Clip(double v) => clip > 0 ? Math.Clamp(v, -clip, clip) : v;
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (var d = 0; d < dirs; d++)
        {
            var h = new double[Batch * Hidden];
            var cell = new double[Batch * Hidden];
            for (var i = 0; i < h.Length; i++)
            {
                h[i] = h0?[(d * Batch * Hidden) + i] ?? 0;
                cell[i] = c0?[(d * Batch * Hidden) + i] ?? 0;
            }

            for (var s = 0; s < Steps; s++)
            {
                var t = reverseOnly || d == 1 ? Steps - 1 - s : s;
                var next = new double[h.Length];
                for (var bi = 0; bi < Batch; bi++)
                {
                    // xw[j] = Xt·Wⱼᵀ + Wbⱼ, hr[j] = Ht−1·Rⱼᵀ + Rbⱼ
                    var xw = new double[gh];
                    var hr = new double[gh];
                    for (var j = 0; j < gh; j++)
                    {
                        double sx = b?[(d * 2 * gh) + j] ?? 0, sh = b?[(d * 2 * gh) + gh + j] ?? 0;
                        for (var k = 0; k < InputSize; k++)
                        {
                            sx += x[(((t * Batch) + bi) * InputSize) + k] * (double)w[(((d * gh) + j) * InputSize) + k];
                        }

                        for (var m = 0; m < Hidden; m++)
                        {
                            sh += h[(bi * Hidden) + m] * r[(((d * gh) + j) * Hidden) + m];
                        }

                        xw[j] = sx;
                        hr[j] = sh;
                    }

                    for (var k = 0; k < Hidden; k++)
                    {
                        var at = (bi * Hidden) + k;
                        switch (kind)
                        {
                            case "LSTM":
                            {
                                double P(int g) => p?[(d * 3 * Hidden) + (g * Hidden) + k] ?? 0;
                                var ig = Sigmoid(xw[k] + hr[k] + (P(0) * cell[at]));
                                var fg = variant ? 1 - ig : Sigmoid(xw[(2 * Hidden) + k] + hr[(2 * Hidden) + k] + (P(2) * cell[at]));
                                var cc = Math.Tanh(xw[(3 * Hidden) + k] + hr[(3 * Hidden) + k]);
                                var ct = (fg * cell[at]) + (ig * cc);
                                var og = Sigmoid(xw[Hidden + k] + hr[Hidden + k] + (P(1) * ct));
                                cell[at] = ct; // each k reads only its own cell value
                                next[at] = og * Math.Tanh(ct);
                                break;
                            }

                            case "GRU":
                            {
                                var z = Sigmoid(Clip(xw[k] + hr[k]));
                                var rg = Sigmoid(Clip(xw[Hidden + k] + hr[Hidden + k]));
                                double candidate;
                                if (variant)
                                {
                                    candidate = xw[(2 * Hidden) + k] + (rg * hr[(2 * Hidden) + k]);
                                }
                                else
                                {
                                    // (r ⊙ Ht−1)·Rhᵀ needs every reset value of this batch item.
                                    double sum = b?[(d * 2 * gh) + gh + (2 * Hidden) + k] ?? 0;
                                    for (var m = 0; m < Hidden; m++)
                                    {
                                        var rm = Sigmoid(Clip(xw[Hidden + m] + hr[Hidden + m]));
                                        sum += rm * h[(bi * Hidden) + m] * r[(((d * gh) + (2 * Hidden) + k) * Hidden) + m];
                                    }

                                    candidate = xw[(2 * Hidden) + k] + sum;
                                }

                                var n = Math.Tanh(Clip(candidate));
                                next[at] = ((1 - z) * n) + (z * h[at]);
                                break;
                            }

                            default:
                                next[at] = Math.Tanh(Clip(xw[k] + hr[k]));
                                break;
                        }
                    }
                }

                h = next;
                for (var i = 0; i < h.Length; i++)
                {
                    y[(((t * dirs) + d) * Batch * Hidden) + i] = h[i];
                }
            }

            h.CopyTo(yh, d * Batch * Hidden);
            cell.CopyTo(yc, d * Batch * Hidden);
        }

        return (y, yh, yc);
    }

    /// <summary>The lowering's packing: per direction, rows first … first+count of <c>[rows, cols]</c>, transposed.</summary>
    private static float[] Pack(float[] values, int dirs, int rows, int cols, int first, int count)
    {
        var packed = new float[dirs * cols * count];
        for (var d = 0; d < dirs; d++)
        {
            for (var i = 0; i < count; i++)
            {
                for (var k = 0; k < cols; k++)
                {
                    packed[(d * cols * count) + (k * count) + i] = values[(d * rows * cols) + ((first + i) * cols) + k];
                }
            }
        }

        return packed;
    }

    private static float[] SumHalves(float[] b, int dirs, int width) =>
        Enumerable.Range(0, dirs * width).Select(i => b[(i / width * 2 * width) + (i % width)] + b[(i / width * 2 * width) + width + (i % width)]).ToArray();

    private static float[] GruBias(float[] b, int dirs)
    {
        var packed = new List<float>();
        for (var d = 0; d < dirs; d++)
        {
            var o = d * 6 * Hidden;
            packed.AddRange(Enumerable.Range(0, 2 * Hidden).Select(i => b[o + i] + b[o + (3 * Hidden) + i]));
            packed.AddRange(b.AsSpan(o + (2 * Hidden), Hidden).ToArray());
            packed.AddRange(b.AsSpan(o + (5 * Hidden), Hidden).ToArray());
        }

        return [.. packed];
    }

    /// <summary><c>[a, b, n]</c> → <c>[b, a, n]</c>.</summary>
    private static float[] SwapFirstTwo(float[] v, int a, int b, int n)
    {
        var result = new float[v.Length];
        for (var i = 0; i < a; i++)
        {
            for (var j = 0; j < b; j++)
            {
                Array.Copy(v, ((i * b) + j) * n, result, ((j * a) + i) * n, n);
            }
        }

        return result;
    }

    private static double[] SwapFirstTwo(double[] v, int a, int b, int n)
    {
        var result = new double[v.Length];
        for (var i = 0; i < a; i++)
        {
            for (var j = 0; j < b; j++)
            {
                Array.Copy(v, ((i * b) + j) * n, result, ((j * a) + i) * n, n);
            }
        }

        return result;
    }

    /// <summary>Y <c>[T, D, B, H]</c> → <c>[B, T, D, H]</c>.</summary>
    private static double[] SwapYToBatchMajor(double[] y, int dirs)
    {
        var result = new double[y.Length];
        for (var t = 0; t < Steps; t++)
        {
            for (var d = 0; d < dirs; d++)
            {
                for (var bi = 0; bi < Batch; bi++)
                {
                    Array.Copy(y, (((t * dirs) + d) * Batch + bi) * Hidden, result, (((bi * Steps) + t) * dirs + d) * Hidden, Hidden);
                }
            }
        }

        return result;
    }
}
