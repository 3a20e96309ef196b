namespace ModelBuild.Runtime;

/// <summary>What a permutation does once size-1 dims are dropped and dims that stay neighbours are merged.</summary>
internal enum TransposeKind
{
    /// <summary>Nothing moves: the output is the input's bytes.</summary>
    Copy,

    /// <summary><c>[Outer, Rows, Cols, Inner] → [Outer, Cols, Rows, Inner]</c>.</summary>
    Swap,

    /// <summary>Anything else (three or more groups change order).</summary>
    General,
}

/// <summary>
/// A permutation in merged form. Input dims of size 1 carry no data, and input dims i, i + 1 that are also adjacent
/// and in order in the output move as one dim; after both reductions NHWC → NCHW (<c>[N, H, W, C]</c>, perm
/// <c>[0, 3, 1, 2]</c>) is <c>[N, H·W, C] → [N, C, H·W]</c>: a batch of 2-D transposes.
/// </summary>
/// <param name="Kind">The case.</param>
/// <param name="Outer">Leading dims that stay in place (product), per sample.</param>
/// <param name="Rows">For <see cref="TransposeKind.Swap"/>: the first swapped group's size.</param>
/// <param name="Cols">The second swapped group's size.</param>
/// <param name="Inner">Trailing dims that stay in place (product).</param>
internal readonly record struct TransposeForm(TransposeKind Kind, long Outer, int Rows, int Cols, int Inner)
{
    public static TransposeForm Of(ReadOnlySpan<int> shape, ReadOnlySpan<int> perm)
    {
        int rank = shape.Length;
        long size = 1;
        foreach (int d in shape)
        {
            size *= d;
        }

        // Output order of the input dims that have data.
        Span<int> order = stackalloc int[rank];
        int m = 0;
        foreach (int p in perm)
        {
            if (shape[p] != 1)
            {
                order[m++] = p;
            }
        }

        // Groups: runs of the output order that are consecutive input dims. Group g starts at input dim start[g].
        Span<int> start = stackalloc int[rank];
        Span<long> groupSize = stackalloc long[rank];
        int groups = 0;
        for (int j = 0; j < m; j++)
        {
            if (j > 0 && order[j] == NextData(shape, order[j - 1]))
            {
                groupSize[groups - 1] *= shape[order[j]];
                continue;
            }

            start[groups] = order[j];
            groupSize[groups++] = shape[order[j]];
        }

        // Groups in output order: rank of each group's start among all starts gives its input position.
        Span<int> inputPos = stackalloc int[groups];
        for (int g = 0; g < groups; g++)
        {
            int below = 0;
            for (int h = 0; h < groups; h++)
            {
                below += start[h] < start[g] ? 1 : 0;
            }

            inputPos[g] = below;
        }

        // Leading groups in place, then one swapped pair, then trailing groups in place.
        int lead = 0;
        while (lead < groups && inputPos[lead] == lead)
        {
            lead++;
        }

        if (lead == groups)
        {
            return new TransposeForm(TransposeKind.Copy, size, 1, 1, 1);
        }

        long outer = 1;
        for (int g = 0; g < lead; g++)
        {
            outer *= groupSize[g];
        }

        bool swap = lead + 1 < groups && inputPos[lead] == lead + 1 && inputPos[lead + 1] == lead;
        for (int g = lead + 2; swap && g < groups; g++)
        {
            swap = inputPos[g] == g;
        }

        if (!swap)
        {
            return new TransposeForm(TransposeKind.General, outer, 1, 1, 1);
        }

        long inner = 1;
        for (int g = lead + 2; g < groups; g++)
        {
            inner *= groupSize[g];
        }

        // In the output the second input group comes first: Rows is the input's earlier group.
        return new TransposeForm(TransposeKind.Swap, outer, (int)groupSize[lead + 1], (int)groupSize[lead], (int)inner);
    }

    /// <summary>The next input dim after <paramref name="dim"/> that has data (size ≠ 1), or -1.</summary>
    private static int NextData(ReadOnlySpan<int> shape, int dim)
    {
        for (int i = dim + 1; i < shape.Length; i++)
        {
            if (shape[i] != 1)
            {
                return i;
            }
        }

        return -1;
    }
}
