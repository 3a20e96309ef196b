using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Gemm in general (ONNX Operators.md, Gemm): <c>Y = Alpha · A' · B' + Beta · C</c>, <c>A'</c> = A or Aᵀ
/// (<c>[M, K]</c>), <c>B'</c> = B or Bᵀ (<c>[K, N]</c>), C broadcast one way to <c>[M, N]</c> (scalar, <c>[N]</c>,
/// <c>[1, N]</c>, <c>[M, 1]</c>, <c>[M, N]</c>). For what <see cref="DenseOp"/> cannot take: a transposed or computed
/// A with a computed B, alpha/beta left on computed operands, C per row.
/// </summary>
/// <param name="A">Left operand, 2-D.</param>
/// <param name="B">Right operand, 2-D.</param>
/// <param name="C">Added operand, or -1.</param>
/// <param name="Y">Output <c>[M, N]</c>.</param>
/// <param name="TransA">Whether A is stored <c>[K, M]</c>.</param>
/// <param name="TransB">Whether B is stored <c>[N, K]</c>.</param>
/// <param name="Alpha">Factor of the product.</param>
/// <param name="Beta">Factor of C.</param>
public sealed record GemmOp(int A, int B, int C, int Y, bool TransA, bool TransB, float Alpha, float Beta) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => !TransA && flow.IsBatched(A) && flow.IsConstant(B) && (C < 0 || flow.IsElementwiseOperand(C, 2)) && flow.Batched(Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var sa = c.Shape(A);
        var sb = c.Shape(B);
        if (sa.Length != 2 || sb.Length != 2)
        {
            throw Fail($"A {ShapeMath.Format(sa)} and B {ShapeMath.Format(sb)} must be 2-D.");
        }

        int m = TransA ? sa[1] : sa[0], k = TransA ? sa[0] : sa[1];
        int kb = TransB ? sb[1] : sb[0], n = TransB ? sb[0] : sb[1];
        if (k != kb)
        {
            throw Fail($"the inner dims of A {ShapeMath.Format(sa)} and B {ShapeMath.Format(sb)} differ ({k} vs {kb}; transA={TransA}, transB={TransB}).");
        }

        int cm = 1, cn = 1;
        if (C >= 0)
        {
            var sc = c.Shape(C);
            if (sc.Length > 2 || (sc.Length == 2 && sc[0] != 1 && sc[0] != m) || (sc.Length >= 1 && sc[^1] != 1 && sc[^1] != n))
            {
                throw Fail($"C {ShapeMath.Format(sc)} does not broadcast to [{m}, {n}].");
            }

            cm = sc.Length == 2 ? sc[0] : 1;
            cn = sc.Length >= 1 ? sc[^1] : 1;
        }

        ReadOnlySpan<int> ys = [m, n];
        var y = c.OutputFloats(Y, ys);
        if (y.Length == 0)
        {
            return;
        }

        var a = c.Floats(A);
        var b = c.Floats(B);
        var scratch = c.Scratch((TransA ? m * k : 0) + (TransB ? k * n : 0));
        if (TransA)
        {
            Transpose2D(a, scratch[..(m * k)], rows: k, cols: m);
            a = scratch[..(m * k)];
        }

        if (TransB)
        {
            var bt = scratch.Slice(TransA ? m * k : 0, k * n);
            Transpose2D(b, bt, rows: n, cols: k);
            b = bt;
        }

        Kernels.MatMul(Simd.Best, a, b, y, m, k, n);
        var cv = C >= 0 && Beta != 0f ? c.Floats(C) : default;
        if (Alpha == 1f && cv.IsEmpty)
        {
            return;
        }

        for (var i = 0; i < m; i++)
        {
            var row = y.Slice(i * n, n);
            for (var j = 0; j < n; j++)
            {
                var bias = cv.IsEmpty ? 0f : Beta * cv[((cm == 1 ? 0 : i) * cn) + (cn == 1 ? 0 : j)];
                row[j] = (Alpha * row[j]) + bias;
            }
        }
    }

    private static void Transpose2D(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var col = 0; col < cols; col++)
            {
                y[(col * rows) + r] = x[(r * cols) + col];
            }
        }
    }
}
