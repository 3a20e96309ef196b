using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Einsum of one or two float tensors, with the equation resolved to label ids by the lowering
/// (<c>ModelBuild.Graph.EinsumEquation</c>): <c>y[out labels] = Σ_{other labels} a[labels of A] · b[labels of B]</c>.
/// A label repeated within an operand reads its diagonal (<c>"ii-&gt;i"</c>, trace <c>"ii"</c>); a dim of 1 broadcasts
/// against the label's size (numpy's ellipsis broadcasting). Computed as a nested-loop contraction with a float64
/// accumulator, in a fixed order (deterministic), except products of two operands where every label is a batch label
/// (in A, B and y), a row label (A and y), a column label (B and y) or a contracted label (A and B): those gather the
/// operands into <c>[batch, M, K]</c> and <c>[batch, K, N]</c> and run <see cref="Kernels.MatMul"/> per batch
/// (attention's <c>"bhid,bhjd-&gt;bhij"</c>, <c>"bij,bjk-&gt;bik"</c>). Spec: onnx Operators.md "Einsum" (numpy.einsum semantics).
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
        Simd.Fill(size, 1);
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

        if (B >= 0 && TryMatMul(c, y, size, strideA, strideB))
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

    /// <summary>The batched-matrix-product form (see the type's remarks); false when some label fits none of its roles.</summary>
    private bool TryMatMul(OpContext c, Span<float> y, ReadOnlySpan<int> size, ReadOnlySpan<int> strideA, ReadOnlySpan<int> strideB)
    {
        // Role of each label: 0 batch, 1 row (m), 2 contracted (k), 3 column (n).
        Span<int> role = stackalloc int[LabelCount];
        for (var label = 0; label < LabelCount; label++)
        {
            int inA = Occurrences(LabelsA, label), inB = Occurrences(LabelsB, label), inY = Occurrences(LabelsY, label);
            role[label] = (inA, inB, inY) switch
            {
                (1, 1, 1) => 0,
                (1, 0, 1) => 1,
                (1, 1, 0) => 2,
                (0, 1, 1) => 3,
                _ => -1,
            };
            if (role[label] < 0)
            {
                return false;
            }
        }

        int batch = 1, m = 1, k = 1, n = 1;
        for (var label = 0; label < LabelCount; label++)
        {
            switch (role[label])
            {
                case 0: batch *= size[label]; break;
                case 1: m *= size[label]; break;
                case 2: k *= size[label]; break;
                default: n *= size[label]; break;
            }
        }

        var scratch = c.Scratch((batch * m * k) + (batch * k * n) + (batch * m * n));
        var a = scratch[..(batch * m * k)];
        var b = scratch.Slice(batch * m * k, batch * k * n);
        var product = scratch[((batch * m * k) + (batch * k * n))..];
        Span<int> order = stackalloc int[LabelCount];
        Gather(c.Floats(A), a, Order(role, [0, 1, 2], order), size, strideA);
        Gather(c.Floats(B), b, Order(role, [0, 2, 3], order), size, strideB);
        for (var i = 0; i < batch; i++)
        {
            Kernels.MatMul(Simd.Best, a.Slice(i * m * k, m * k), b.Slice(i * k * n, k * n), product.Slice(i * m * n, m * n), m, k, n);
        }

        // The product is laid out [batch labels, row labels, column labels]; y reads it in its own label order.
        var productOrder = Order(role, [0, 1, 3], order);
        Span<int> strideP = stackalloc int[LabelCount];
        strideP.Clear();
        var step = 1;
        for (var i = productOrder.Length - 1; i >= 0; i--)
        {
            strideP[productOrder[i]] = step;
            step *= size[productOrder[i]];
        }

        Gather(product, y, LabelsY, size, strideP);
        return true;
    }

    private static int Occurrences(int[] labels, int label)
    {
        var count = 0;
        foreach (var l in labels)
        {
            count += l == label ? 1 : 0;
        }

        return count;
    }

    /// <summary>The labels whose role is in <paramref name="roles"/>, grouped by role in that order, ascending within a role.</summary>
    private Span<int> Order(ReadOnlySpan<int> role, ReadOnlySpan<int> roles, Span<int> order)
    {
        var n = 0;
        foreach (var r in roles)
        {
            for (var label = 0; label < LabelCount; label++)
            {
                if (role[label] == r)
                {
                    order[n++] = label;
                }
            }
        }

        return order[..n];
    }

    /// <summary>Copies <paramref name="src"/> into <paramref name="dst"/> row-major over <paramref name="labels"/>, reading by label strides.</summary>
    private static void Gather(ReadOnlySpan<float> src, Span<float> dst, ReadOnlySpan<int> labels, ReadOnlySpan<int> size, ReadOnlySpan<int> stride)
    {
        Span<int> index = stackalloc int[labels.Length];
        index.Clear();
        var offset = 0;
        for (var i = 0; i < dst.Length; i++)
        {
            dst[i] = src[offset];
            for (var d = labels.Length - 1; d >= 0; d--)
            {
                var label = labels[d];
                offset += stride[label];
                if (++index[d] < size[label])
                {
                    break;
                }

                offset -= stride[label] * size[label];
                index[d] = 0;
            }
        }
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
