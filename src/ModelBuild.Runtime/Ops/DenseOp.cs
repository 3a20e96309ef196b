using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// A matrix product with a constant right operand, from ONNX Gemm (transA = 0) or MatMul:
/// <c>y[…, n] = act(Σ_k x[…, k] · W[n, k] + bias[n])</c> for every leading index (ONNX MatMul semantics, numpy
/// <c>matmul</c> with a 2-D right operand; a 1-D <c>x</c> gives a 1-D <c>y</c>).
/// </summary>
/// <param name="X">Input value, shape <c>[…, K]</c> (rank ≥ 1).</param>
/// <param name="Y">Output value, shape <c>[…, N]</c>.</param>
/// <param name="Weight">Blob entry of W, an <c>N × K</c> matrix (one row per output unit), any stored format.</param>
/// <param name="Bias">Blob entry of an N-float bias, or -1.</param>
/// <param name="Act">Fused activation.</param>
public sealed record DenseOp(int X, int Y, int Weight, int Bias, Activation Act) : Op
{
    /// <inheritdoc/>
    // A 1-D input would be one row whose K elements are the samples.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.Rank(X) >= 2 && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var w = c.DenseMatrix(Weight);
        if (xs.Length == 0 || xs[^1] != w.Cols)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} must end in K = {w.Cols}, the weight's input size.");
        }

        Span<int> ys = stackalloc int[xs.Length];
        xs.CopyTo(ys);
        ys[^1] = w.Rows;
        var rows = ShapeMath.Product(xs[..^1]);
        var y = c.OutputFloats(Y, ys);
        Kernels.Dense(c.Floats(X), w, c.BlobFloats(Bias), y, rows, Act, c.Program.IntraOpThreads);
    }
}
