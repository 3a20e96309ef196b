using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX RNN (opsets 7/14/22) with full-length sequences: per direction and time step
/// <c>Ht = f(Xt·Wᵀ + Ht−1·Rᵀ + Wb + Rb)</c> (Operators.md, RNN); <c>clip</c> bounds f's input. Shapes and layouts:
/// <see cref="Recurrence"/>.
/// </summary>
/// <param name="X">Input sequence, <c>[T, B, I]</c> (or <c>[B, T, I]</c> batch-major).</param>
/// <param name="InitialH">Initial hidden state, or -1 for zeros.</param>
/// <param name="Y">Every hidden state, or -1.</param>
/// <param name="YH">The last hidden state, or -1.</param>
/// <param name="W">Blob entry: per direction Wᵀ, <c>[I, H]</c>.</param>
/// <param name="R">Blob entry: per direction Rᵀ, <c>[H, H]</c>.</param>
/// <param name="B">Blob entry: per direction Wb + Rb, <c>[H]</c>, or -1.</param>
/// <param name="Hidden">hidden_size.</param>
/// <param name="Direction">direction.</param>
/// <param name="BatchMajor">layout = 1.</param>
/// <param name="Clip">clip threshold, or 0 for none.</param>
/// <param name="F">Activation (default Tanh).</param>
public sealed record RnnOp(int X, int InitialH, int Y, int YH, int W, int R, int B,
    int Hidden, RecurrenceDirection Direction, bool BatchMajor, float Clip, UnaryFunction F) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var wAll = c.BlobFloats(W);
        if (Recurrence.Open(c, X, wAll.Length, Hidden, Hidden, Direction, BatchMajor, InitialH, out var r, out var input) is { } problem)
        {
            throw Fail(problem);
        }

        int hidden = Hidden, rows = r.Steps * r.Batch, batchH = r.Batch * hidden;
        var y = r.OutputY(c, Y);
        var yh = r.OutputState(c, YH);
        var scratch = c.Scratch((rows * hidden) + (2 * batchH));
        var xw = scratch[..(rows * hidden)];
        var g = scratch.Slice(rows * hidden, batchH);
        var h = scratch.Slice((rows * hidden) + batchH, batchH);
        var x = c.Floats(X);
        for (var d = 0; d < r.Directions; d++)
        {
            var rt = c.BlobFloats(R).Slice(d * hidden * hidden, hidden * hidden);
            var bias = B >= 0 ? c.BlobFloats(B).Slice(d * hidden, hidden) : default;
            Recurrence.Project(x, wAll.Slice(d * input * hidden, input * hidden), xw, rows, input, hidden);
            r.LoadState(InitialH >= 0 ? c.Floats(InitialH) : default, InitialH >= 0, d, h);
            for (var s = 0; s < r.Steps; s++)
            {
                var t = r.Step(d, s);
                r.StepGates(h, rt, xw, hidden, bias, t, g, hidden);
                Recurrence.Activate(F, g, Clip);
                g.CopyTo(h);
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
}
