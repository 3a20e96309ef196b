using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX NonZero: the coordinates of the non-zero elements (float32, int64 or bool input) as int64
/// <c>[rank, count]</c>, in row-major order (numpy.nonzero stacked; a scalar gives <c>[0, count]</c>). The output's
/// size depends on the values, so it is computed per call.
/// </summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output, int64.</param>
public sealed record NonZeroOp(int X, int Y) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var rank = xs.Length;
        if (rank > ShapeMath.MaxRank)
        {
            throw Fail($"rank {rank} exceeds {ShapeMath.MaxRank}.");
        }

        var total = c.Count(X);
        var count = 0;
        for (var i = 0; i < total; i++)
        {
            count += IsNonZero(c, i) ? 1 : 0;
        }

        var y = c.OutputLongs(Y, [rank, count]);
        Span<int> index = stackalloc int[rank];
        index.Clear();
        var k = 0;
        for (var i = 0; i < total; i++)
        {
            if (IsNonZero(c, i))
            {
                for (var d = 0; d < rank; d++)
                {
                    y[(d * count) + k] = index[d];
                }

                k++;
            }

            Strides.Next(index, xs);
        }
    }

    private bool IsNonZero(OpContext c, int i) => c.TypeOf(X) switch
    {
        TensorType.Float32 => c.Floats(X)[i] != 0,
        TensorType.Int64 => c.Longs(X)[i] != 0,
        _ => c.Bools(X)[i],
    };
}
