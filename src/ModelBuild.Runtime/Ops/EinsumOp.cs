using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Einsum of one or two float tensors, with the equation resolved to label ids by the lowering
/// (<c>ModelBuild.Graph.EinsumEquation</c>): <c>y[out labels] = Σ_{other labels} a[labels of A] · b[labels of B]</c>.
/// A label repeated within an operand reads its diagonal (<c>"ii-&gt;i"</c>, trace <c>"ii"</c>); a dim of 1 broadcasts
/// against the label's size (numpy's ellipsis broadcasting). Computed as a nested-loop contraction with a float64
/// accumulator, in a fixed order (deterministic). Spec: onnx Operators.md "Einsum" (numpy.einsum semantics).
/// </summary>
/// <param name="A">First operand.</param>
/// <param name="B">Second operand, or -1.</param>
/// <param name="Y">Output.</param>
/// <param name="LabelsA">The label id of each axis of A.</param>
/// <param name="LabelsB">The label id of each axis of B (empty without B).</param>
/// <param name="LabelsY">The label id of each output axis.</param>
/// <param name="LabelCount">The number of label ids.</param>
public sealed record EinsumOp(int A, int B, int Y, int[] LabelsA, int[] LabelsB, int[] LabelsY, int LabelCount) : Op
{
    /// <summary>The most labels an equation may use (two operands of rank ≤ <see cref="ShapeMath.MaxRank"/>).</summary>
    private const int MaxLabels = 2 * ShapeMath.MaxRank;

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        if (LabelCount > MaxLabels)
        {
            throw Fail($"{LabelCount} labels exceed {MaxLabels}.");
        }

        Span<int> size = stackalloc int[LabelCount];
        Span<int> strideA = stackalloc int[LabelCount];
        Span<int> strideB = stackalloc int[LabelCount];
        size.Fill(1);
        strideA.Clear();
        strideB.Clear();
        Measure(c.Shape(A), LabelsA, size, "A");
        if (B >= 0)
        {
            Measure(c.Shape(B), LabelsB, size, "B");
        }

        Strides(c.Shape(A), LabelsA, size, strideA);
        if (B >= 0)
        {
            Strides(c.Shape(B), LabelsB, size, strideB);
        }

        Span<int> ys = stackalloc int[LabelsY.Length];
        for (var i = 0; i < ys.Length; i++)
        {
            ys[i] = size[LabelsY[i]];
        }

        var y = c.OutputFloats(Y, ys);
        if (y.Length == 0)
        {
            return;
        }

        // Loop order: the output labels (row-major over y), then the summed labels.
        Span<int> order = stackalloc int[LabelCount];
        var n = 0;
        foreach (var label in LabelsY)
        {
            order[n++] = label;
        }

        for (var label = 0; label < LabelCount; label++)
        {
            if (Array.IndexOf(LabelsY, label) < 0)
            {
                order[n++] = label;
            }
        }

        Contract(c.Floats(A), B >= 0 ? c.Floats(B) : default, B >= 0, y, order, LabelsY.Length, size, strideA, strideB);
    }

    /// <summary>Records each label's size from one operand; sizes must agree or be 1 (broadcast).</summary>
    private void Measure(ReadOnlySpan<int> shape, int[] labels, Span<int> size, string name)
    {
        if (shape.Length != labels.Length)
        {
            throw Fail($"{name} {ShapeMath.Format(shape)} has rank {shape.Length}; the equation gives it {labels.Length} labels.");
        }

        for (var d = 0; d < shape.Length; d++)
        {
            ref var s = ref size[labels[d]];
            if (shape[d] != s && shape[d] != 1 && s != 1)
            {
                throw Fail($"{name} {ShapeMath.Format(shape)}: dim {d} is {shape[d]}, another axis with its label is {s}.");
            }

            if (shape[d] != 1)
            {
                s = shape[d];
            }
        }
    }

    /// <summary>Element strides per label: repeated labels add up (a diagonal); broadcast dims of 1 get 0.</summary>
    private static void Strides(ReadOnlySpan<int> shape, int[] labels, ReadOnlySpan<int> size, Span<int> stride)
    {
        var step = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == size[labels[d]] && shape[d] != 1)
            {
                stride[labels[d]] += step;
            }

            step *= shape[d];
        }
    }

    /// <summary>Walks every label combination: each output element is the sum over the summed labels.</summary>
    private static void Contract(ReadOnlySpan<float> a, ReadOnlySpan<float> b, bool hasB, Span<float> y, ReadOnlySpan<int> order, int outputLabels,
        ReadOnlySpan<int> size, ReadOnlySpan<int> strideA, ReadOnlySpan<int> strideB)
    {
        var rank = order.Length;
        Span<int> index = stackalloc int[rank];
        Span<int> dims = stackalloc int[rank];
        Span<int> sa = stackalloc int[rank];
        Span<int> sb = stackalloc int[rank];
        for (var i = 0; i < rank; i++)
        {
            dims[i] = size[order[i]];
            sa[i] = strideA[order[i]];
            sb[i] = strideB[order[i]];
        }

        var inner = 1;
        for (var i = outputLabels; i < rank; i++)
        {
            inner *= dims[i];
        }

        index.Clear();
        int offA = 0, offB = 0;
        for (var o = 0; o < y.Length; o++)
        {
            var sum = 0.0;
            for (var k = 0; k < inner; k++)
            {
                sum += hasB ? (double)a[offA] * b[offB] : a[offA];

                // Advance the summed labels (the innermost part of the odometer).
                for (var d = rank - 1; d >= outputLabels; d--)
                {
                    offA += sa[d];
                    offB += sb[d];
                    if (++index[d] < dims[d])
                    {
                        break;
                    }

                    offA -= sa[d] * dims[d];
                    offB -= sb[d] * dims[d];
                    index[d] = 0;
                }
            }

            y[o] = (float)sum;
            for (var d = outputLabels - 1; d >= 0; d--)
            {
                offA += sa[d];
                offB += sb[d];
                if (++index[d] < dims[d])
                {
                    break;
                }

                offA -= sa[d] * dims[d];
                offB -= sb[d] * dims[d];
                index[d] = 0;
            }
        }
    }
}
