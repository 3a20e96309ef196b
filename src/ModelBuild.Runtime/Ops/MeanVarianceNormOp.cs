using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX MeanVarianceNormalization: over the dims in <paramref name="Axes"/>,
/// <c>y = (x − mean) / (√var + 1e-9)</c> with the biased variance (the function body in ONNX's Operators.md adds
/// 1e-9 to the standard deviation, not to the variance).
/// </summary>
/// <param name="X">Input, any rank.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Axes">The reduced dims (negative count from the end); ONNX's default is [0, 2, 3].</param>
public sealed record MeanVarianceNormOp(int X, int Y, int[] Axes) : Op
{
    /// <inheritdoc/>
    // ONNX's default axes [0, 2, 3] normalise over the batch; only axes inside a sample keep samples apart.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => Axes.Length > 0 && Array.TrueForAll(Axes, a => SampleFlow.IsInnerAxis(a, flow.Rank(X))) && flow.PerSample(X, Y);

    private const double Epsilon = 1e-9;

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var rank = xs.Length;
        Span<bool> reduced = stackalloc bool[rank];
        foreach (var a in Axes)
        {
            if (!ShapeMath.TryAxis(a, rank, out var axis))
            {
                throw Fail($"axis {a} is outside the input {ShapeMath.Format(xs)}.");
            }

            reduced[axis] = true;
        }

        Span<int> shape = stackalloc int[rank];
        xs.CopyTo(shape);
        var y = c.OutputFloats(Y, shape);
        if (y.Length == 0)
        {
            return;
        }

        // Group of an element: its index over the kept dims only (stride 0 along reduced dims).
        Span<int> groupStride = stackalloc int[rank];
        int groups = 1, count = 1;
        for (var d = rank - 1; d >= 0; d--)
        {
            groupStride[d] = reduced[d] ? 0 : groups;
            groups *= reduced[d] ? 1 : xs[d];
            count *= reduced[d] ? xs[d] : 1;
        }

        var x = c.Floats(X);
        var stats = c.Scratch(2 * groups);
        var mean = stats[..groups];
        var spread = stats[groups..];
        mean.Clear();
        spread.Clear();
        Span<int> index = stackalloc int[rank];
        Accumulate(x, xs, groupStride, index, mean, default);
        for (var g = 0; g < groups; g++)
        {
            mean[g] /= count;
        }

        Accumulate(x, xs, groupStride, index, spread, mean);
        for (var g = 0; g < groups; g++)
        {
            spread[g] = (float)(1 / (Math.Sqrt(spread[g] / count) + Epsilon));
        }

        index.Clear();
        var group = 0;
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = (x[i] - mean[group]) * spread[group];
            group = Next(xs, groupStride, index, group);
        }
    }

    /// <summary>Σ x per group, or Σ (x − mean)² per group when <paramref name="mean"/> is given.</summary>
    private static void Accumulate(ReadOnlySpan<float> x, ReadOnlySpan<int> xs, ReadOnlySpan<int> groupStride, Span<int> index,
        Span<float> sums, ReadOnlySpan<float> mean)
    {
        index.Clear();
        var group = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (mean.IsEmpty)
            {
                sums[group] += x[i];
            }
            else
            {
                var d = x[i] - mean[group];
                sums[group] += d * d;
            }

            group = Next(xs, groupStride, index, group);
        }
    }

    /// <summary>Advances the row-major odometer and returns the next element's group.</summary>
    private static int Next(ReadOnlySpan<int> xs, ReadOnlySpan<int> groupStride, Span<int> index, int group)
    {
        for (var d = xs.Length - 1; d >= 0; d--)
        {
            group += groupStride[d];
            if (++index[d] < xs[d])
            {
                return group;
            }

            group -= groupStride[d] * xs[d];
            index[d] = 0;
        }

        return group;
    }
}
