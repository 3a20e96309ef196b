using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX Transpose with any permutation, any element type: output dim i is input dim <c>Perm[i]</c>.</summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output (never shares the input's storage).</param>
/// <param name="Perm">The permutation; empty means reverse the dims (the ONNX default).</param>
public sealed record TransposeOp(int X, int Y, int[] Perm) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => Perm.Length > 0 && Perm[0] == 0 && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var rank = xs.Length;
        if (rank > ShapeMath.MaxRank || (Perm.Length != 0 && Perm.Length != rank))
        {
            throw Fail($"perm has {Perm.Length} entries for the input {ShapeMath.Format(xs)}.");
        }

        Span<int> perm = stackalloc int[rank];
        Span<int> ys = stackalloc int[rank];
        var seen = 0;
        for (var i = 0; i < rank; i++)
        {
            perm[i] = Perm.Length == 0 ? rank - 1 - i : Perm[i];
            if ((uint)perm[i] >= (uint)rank || (seen & (1 << perm[i])) != 0)
            {
                throw Fail("perm is not a permutation of the input's axes.");
            }

            seen |= 1 << perm[i];
            ys[i] = xs[perm[i]];
        }

        if (c.TypeOf(X) == TensorType.Float32)
        {
            var y = c.OutputFloats(Y, ys);
            if (y.Length > 0)
            {
                Kernels.Transpose(c.Floats(X), y, xs, perm, 1);
            }

            return;
        }

        var size = c.ElementSize(X);
        var yb = c.OutputBytes(Y, ys);
        var xb = c.Bytes(X);
        Span<int> inStrides = stackalloc int[rank];
        var s = 1;
        for (var i = rank - 1; i >= 0; i--)
        {
            inStrides[i] = s;
            s *= xs[i];
        }

        Span<int> index = stackalloc int[rank];
        index.Clear();
        var count = yb.Length / size;
        for (var o = 0; o < count; o++)
        {
            var src = 0;
            for (var d = 0; d < rank; d++)
            {
                src += index[d] * inStrides[perm[d]];
            }

            xb.Slice(src * size, size).CopyTo(yb.Slice(o * size, size));
            for (var d = rank - 1; d >= 0 && ++index[d] == ys[d]; d--)
            {
                index[d] = 0;
            }
        }
    }
}
