using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX GRU (opsets 7/14/22) with full-length sequences. Per direction and time step, with gate order z, r, h:
/// <c>z = f(Xt·Wzᵀ + Ht−1·Rzᵀ + Wbz + Rbz)</c>, <c>r = f(Xt·Wrᵀ + Ht−1·Rrᵀ + Wbr + Rbr)</c>,
/// <c>h̃ = g(Xt·Whᵀ + (r⊙Ht−1)·Rhᵀ + Rbh + Wbh)</c> (linear_before_reset = 0) or
/// <c>h̃ = g(Xt·Whᵀ + r⊙(Ht−1·Rhᵀ + Rbh) + Wbh)</c> (linear_before_reset ≠ 0), <c>Ht = (1 − z)⊙h̃ + z⊙Ht−1</c>
/// (Operators.md, GRU); <c>clip</c> bounds every activation's input. Shapes and layouts: <see cref="Recurrence"/>.
/// </summary>
/// <param name="X">Input sequence, <c>[T, B, I]</c> (or <c>[B, T, I]</c> batch-major).</param>
/// <param name="InitialH">Initial hidden state, or -1 for zeros.</param>
/// <param name="Y">Every hidden state, or -1.</param>
/// <param name="YH">The last hidden state, or -1.</param>
/// <param name="W">Blob entry: per direction Wᵀ, <c>[I, 3H]</c>.</param>
/// <param name="Rzr">Blob entry: per direction [Rz; Rr]ᵀ, <c>[H, 2H]</c>.</param>
/// <param name="Rh">Blob entry: per direction Rhᵀ, <c>[H, H]</c>.</param>
/// <param name="B">Blob entry: per direction <c>[Wbz + Rbz, Wbr + Rbr, Wbh, Rbh]</c>, <c>[4H]</c>, or -1.</param>
/// <param name="Hidden">hidden_size.</param>
/// <param name="Direction">direction.</param>
/// <param name="BatchMajor">layout = 1.</param>
/// <param name="LinearBeforeReset">linear_before_reset ≠ 0.</param>
/// <param name="Clip">clip threshold, or 0 for none.</param>
/// <param name="F">Gate activation (default Sigmoid).</param>
/// <param name="G">Candidate activation (default Tanh).</param>
public sealed record GruOp(int X, int InitialH, int Y, int YH, int W, int Rzr, int Rh, int B,
    int Hidden, RecurrenceDirection Direction, bool BatchMajor, bool LinearBeforeReset, float Clip, UnaryFunction F, UnaryFunction G) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var wAll = c.BlobFloats(W);
        if (Recurrence.Open(c, X, wAll.Length, 3 * Hidden, Hidden, Direction, BatchMajor, InitialH, out var r, out var input) is { } problem)
        {
            throw Fail(problem);
        }

        int hidden = Hidden, gates = 3 * hidden, rows = r.Steps * r.Batch, batchH = r.Batch * hidden;
        var y = r.OutputY(c, Y);
        var yh = r.OutputState(c, YH);
        var scratch = c.Scratch((rows * gates) + (5 * batchH));
        var xw = scratch[..(rows * gates)];
        var zr = scratch.Slice(rows * gates, 2 * batchH);
        var hh = scratch.Slice((rows * gates) + (2 * batchH), batchH);
        var h = scratch.Slice((rows * gates) + (3 * batchH), batchH);
        var rh = scratch.Slice((rows * gates) + (4 * batchH), batchH);
        var x = c.Floats(X);
        for (var d = 0; d < r.Directions; d++)
        {
            var rzr = c.BlobFloats(Rzr).Slice(d * hidden * 2 * hidden, hidden * 2 * hidden);
            var rhT = c.BlobFloats(Rh).Slice(d * hidden * hidden, hidden * hidden);
            var bias = B >= 0 ? c.BlobFloats(B).Slice(d * 4 * hidden, 4 * hidden) : default;
            Recurrence.Project(x, wAll.Slice(d * input * gates, input * gates), xw, rows, input, gates);
            r.LoadState(InitialH >= 0 ? c.Floats(InitialH) : default, InitialH >= 0, d, h);
            for (var s = 0; s < r.Steps; s++)
            {
                var t = r.Step(d, s);
                r.StepGates(h, rzr, xw, gates, bias.IsEmpty ? default : bias[..(2 * hidden)], t, zr, 2 * hidden);
                Recurrence.Activate(F, zr, Clip);
                Candidate(h, zr, rhT, bias.IsEmpty ? default : bias.Slice(3 * hidden, hidden), hh, rh, r.Batch);
                for (var b = 0; b < r.Batch; b++)
                {
                    var nb = hh.Slice(b * hidden, hidden);
                    Recurrence.AddTo(nb, xw.Slice((r.Row(t, b) * gates) + (2 * hidden), hidden));
                    if (!bias.IsEmpty)
                    {
                        Recurrence.AddTo(nb, bias.Slice(2 * hidden, hidden));
                    }

                    Recurrence.Activate(G, nb, Clip);
                    var z = zr.Slice(b * 2 * hidden, hidden);
                    var hb = h.Slice(b * hidden, hidden);
                    for (var k = 0; k < hidden; k++)
                    {
                        hb[k] = ((1f - z[k]) * nb[k]) + (z[k] * hb[k]);
                    }
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
        }
    }

    /// <summary>
    /// The recurrent part of h̃ for every batch item (Xt·Whᵀ + Wbh is added after): <c>r⊙(H·Rhᵀ + Rbh)</c> or
    /// <c>(r⊙H)·Rhᵀ + Rbh</c>. <paramref name="zr"/> holds the activated z, r gates per batch item.
    /// </summary>
    private void Candidate(ReadOnlySpan<float> h, ReadOnlySpan<float> zr, ReadOnlySpan<float> rhT, ReadOnlySpan<float> rbh,
        Span<float> hh, Span<float> rh, int batch)
    {
        var n = Hidden;
        if (LinearBeforeReset)
        {
            Kernels.MatMul(Simd.Best, h, rhT, hh, batch, n, n);
            for (var b = 0; b < batch; b++)
            {
                var hb = hh.Slice(b * n, n);
                if (!rbh.IsEmpty)
                {
                    Recurrence.AddTo(hb, rbh);
                }

                var reset = zr.Slice((b * 2 * n) + n, n);
                for (var k = 0; k < n; k++)
                {
                    hb[k] *= reset[k];
                }
            }

            return;
        }

        for (var b = 0; b < batch; b++)
        {
            var reset = zr.Slice((b * 2 * n) + n, n);
            for (var k = 0; k < n; k++)
            {
                rh[(b * n) + k] = reset[k] * h[(b * n) + k];
            }
        }

        Kernels.MatMul(Simd.Best, rh, rhT, hh, batch, n, n);
        if (!rbh.IsEmpty)
        {
            for (var b = 0; b < batch; b++)
            {
                Recurrence.AddTo(hh.Slice(b * n, n), rbh);
            }
        }
    }
}
