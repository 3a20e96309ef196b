using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX LSTM (opsets 7/14/22) with full-length sequences. Per direction and time step, with gate order i, o, f, c:
/// <c>g = Xt·Wᵀ + Ht−1·Rᵀ + Wb + Rb</c>; <c>i = f(gi + Pi⊙Ct−1)</c>, <c>f = f(gf + Pf⊙Ct−1)</c> (or <c>1 − i</c>
/// with input_forget), <c>c = g(gc)</c>, <c>Ct = f⊙Ct−1 + i⊙c</c>, <c>o = f(go + Po⊙Ct)</c>, <c>Ht = o⊙h(Ct)</c>
/// (Operators.md, LSTM). Shapes and layouts: <see cref="Recurrence"/>.
/// </summary>
/// <param name="X">Input sequence, <c>[T, B, I]</c> (or <c>[B, T, I]</c> batch-major).</param>
/// <param name="InitialH">Initial hidden state, or -1 for zeros.</param>
/// <param name="InitialC">Initial cell state, or -1 for zeros.</param>
/// <param name="Y">Every hidden state, or -1.</param>
/// <param name="YH">The last hidden state, or -1.</param>
/// <param name="YC">The last cell state, or -1.</param>
/// <param name="W">Blob entry: per direction Wᵀ, <c>[I, 4H]</c>.</param>
/// <param name="R">Blob entry: per direction Rᵀ, <c>[H, 4H]</c>.</param>
/// <param name="B">Blob entry: per direction Wb + Rb, <c>[4H]</c>, or -1.</param>
/// <param name="P">Blob entry: per direction the peepholes Pi, Po, Pf, <c>[3H]</c>, or -1.</param>
/// <param name="Hidden">hidden_size.</param>
/// <param name="Direction">direction.</param>
/// <param name="BatchMajor">layout = 1.</param>
/// <param name="InputForget">input_forget = 1: the forget gate is 1 − i.</param>
/// <param name="F">Gate activation (default Sigmoid).</param>
/// <param name="G">Cell activation (default Tanh).</param>
/// <param name="H">Hidden activation (default Tanh).</param>
public sealed record LstmOp(int X, int InitialH, int InitialC, int Y, int YH, int YC, int W, int R, int B, int P,
    int Hidden, RecurrenceDirection Direction, bool BatchMajor, bool InputForget, UnaryFunction F, UnaryFunction G, UnaryFunction H) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var wAll = c.BlobFloats(W);
        var problem = Recurrence.Open(c, X, wAll.Length, 4 * Hidden, Hidden, Direction, BatchMajor, InitialH, out var r, out var input)
            ?? r.Problem(c.Shape(X), input, c, InitialC, "initial_c");
        if (problem is not null)
        {
            throw Fail(problem);
        }

        int hidden = Hidden, gates = 4 * hidden, rows = r.Steps * r.Batch;
        var y = r.OutputY(c, Y);
        var yh = r.OutputState(c, YH);
        var yc = r.OutputState(c, YC);
        var scratch = c.Scratch((rows * gates) + (r.Batch * gates) + (3 * r.Batch * hidden));
        var xw = scratch[..(rows * gates)];
        var g = scratch.Slice(rows * gates, r.Batch * gates);
        var h = scratch.Slice((rows + r.Batch) * gates, r.Batch * hidden);
        var cell = scratch.Slice(((rows + r.Batch) * gates) + (r.Batch * hidden), r.Batch * hidden);
        var tanhC = scratch.Slice(((rows + r.Batch) * gates) + (2 * r.Batch * hidden), r.Batch * hidden);
        var x = c.Floats(X);
        for (var d = 0; d < r.Directions; d++)
        {
            var wt = wAll.Slice(d * input * gates, input * gates);
            var rt = c.BlobFloats(R).Slice(d * hidden * gates, hidden * gates);
            var bias = B >= 0 ? c.BlobFloats(B).Slice(d * gates, gates) : default;
            var peep = P >= 0 ? c.BlobFloats(P).Slice(d * 3 * hidden, 3 * hidden) : default;
            Recurrence.Project(x, wt, xw, rows, input, gates);
            r.LoadState(InitialH >= 0 ? c.Floats(InitialH) : default, InitialH >= 0, d, h);
            r.LoadState(InitialC >= 0 ? c.Floats(InitialC) : default, InitialC >= 0, d, cell);
            for (var s = 0; s < r.Steps; s++)
            {
                var t = r.Step(d, s);
                r.StepGates(h, rt, xw, gates, bias, t, g, gates);
                for (var b = 0; b < r.Batch; b++)
                {
                    Cell(g.Slice(b * gates, gates), cell.Slice(b * hidden, hidden), h.Slice(b * hidden, hidden), tanhC.Slice(b * hidden, hidden), peep);
                }

                if (!y.IsEmpty)
                {
                    r.StoreOutput(h, t, d, y);
                }
            }

            if (!yh.IsEmpty)
            {
                r.StoreState(h, d, yh);
            }

            if (!yc.IsEmpty)
            {
                r.StoreState(cell, d, yc);
            }
        }
    }

    /// <summary>One batch item's gate activations and state update; <paramref name="g"/> holds the i, o, f, c pre-activations.</summary>
    private void Cell(Span<float> g, Span<float> cell, Span<float> h, Span<float> hc, ReadOnlySpan<float> peep)
    {
        var n = Hidden;
        Span<float> i = g[..n], o = g.Slice(n, n), f = g.Slice(2 * n, n), cc = g.Slice(3 * n, n);
        if (!peep.IsEmpty)
        {
            for (var k = 0; k < n; k++)
            {
                i[k] += peep[k] * cell[k];
                f[k] += peep[(2 * n) + k] * cell[k];
            }
        }

        Recurrence.Activate(F, i, 0f);
        if (InputForget)
        {
            for (var k = 0; k < n; k++)
            {
                f[k] = 1f - i[k];
            }
        }
        else
        {
            Recurrence.Activate(F, f, 0f);
        }

        Recurrence.Activate(G, cc, 0f);
        for (var k = 0; k < n; k++)
        {
            cell[k] = (f[k] * cell[k]) + (i[k] * cc[k]);
        }

        if (!peep.IsEmpty)
        {
            for (var k = 0; k < n; k++)
            {
                o[k] += peep[n + k] * cell[k];
            }
        }

        Recurrence.Activate(F, o, 0f);
        Kernels.Unary(H, cell, hc, 0f, 0f);
        for (var k = 0; k < n; k++)
        {
            h[k] = o[k] * hc[k];
        }
    }
}
