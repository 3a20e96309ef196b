using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Unique (numpy.unique with return_index, return_inverse, return_counts). Without an axis the input is
/// flattened and its distinct elements are returned; with an axis the distinct slices along it, compared
/// lexicographically as <c>moveaxis(x, axis, 0)[i].ravel()</c>. Sorted = ascending order; unsorted = order of first
/// occurrence. The output sizes depend on the values, so they are computed per call. Float NaNs compare equal.
/// </summary>
/// <param name="X">Input.</param>
/// <param name="Y">The unique elements or slices.</param>
/// <param name="Indices">int64 [u]: the first occurrence of each, or -1 when not requested.</param>
/// <param name="InverseIndices">int64 [n]: for each input element or slice, its position in Y, or -1.</param>
/// <param name="Counts">int64 [u]: occurrences of each, or -1.</param>
/// <param name="Axis">The axis (negative counts from the end); ignored when <paramref name="Flatten"/>.</param>
/// <param name="Flatten">True when the node has no axis attribute.</param>
/// <param name="Sorted">Ascending order (the default) rather than order of first occurrence.</param>
public sealed record UniqueOp(int X, int Y, int Indices, int InverseIndices, int Counts, int Axis, bool Flatten, bool Sorted) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var rank = xs.Length;
        var axis = 0;
        if (rank > ShapeMath.MaxRank || (!Flatten && !ShapeMath.TryAxis(Axis, rank, out axis)))
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        var n = Flatten ? c.Count(X) : xs[axis];
        var outer = Flatten ? 1 : ShapeMath.Product(xs[..axis]);
        var inner = Flatten ? 1 : ShapeMath.Product(xs[(axis + 1)..]);
        var keys = new SliceKeys(c, X, n, outer, inner);

        // Scratch as ints: order (sorted slice ids), merge buffer, unique id of each slice, first slice of each unique.
        var scratch = MemoryMarshal.Cast<float, int>(c.Scratch(4 * Math.Max(n, 1)));
        var order = scratch[..n];
        var buffer = scratch.Slice(n, n);
        var uniqueOf = scratch.Slice(2 * n, n);
        var firstOf = scratch.Slice(3 * n, n);
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        MergeSort(order, buffer, keys);

        // Equal slices are adjacent and, the sort being stable, in input order: the first of each run is its first occurrence.
        var u = 0;
        for (var r = 0; r < n; r++)
        {
            if (r == 0 || keys.Compare(order[r - 1], order[r]) != 0)
            {
                firstOf[u++] = order[r];
            }

            uniqueOf[order[r]] = u - 1;
        }

        var positions = buffer[..u]; // the output position of each unique (sorted rank, or first-occurrence rank)
        if (Sorted)
        {
            for (var k = 0; k < u; k++)
            {
                positions[k] = k;
            }
        }
        else
        {
            var next = 0;
            Simd.Fill(positions, -1);
            for (var i = 0; i < n; i++)
            {
                if (positions[uniqueOf[i]] < 0)
                {
                    positions[uniqueOf[i]] = next++;
                }
            }
        }

        Write(c, xs, axis, n, outer, inner, u, positions, uniqueOf, firstOf);
    }

    private void Write(OpContext c, ReadOnlySpan<int> xs, int axis, int n, int outer, int inner, int u, ReadOnlySpan<int> positions,
        ReadOnlySpan<int> uniqueOf, ReadOnlySpan<int> firstOf)
    {
        var size = c.ElementSize(X);
        var y = c.OutputBytes(Y, ShapeMath.WithAxisSize(xs, axis, u, Flatten, stackalloc int[ShapeMath.MaxRank]));
        var x = c.Bytes(X);
        var chunk = inner * size;
        for (var k = 0; k < u; k++)
        {
            for (var o = 0; o < outer; o++)
            {
                x.Slice(((o * n) + firstOf[k]) * chunk, chunk).CopyTo(y.Slice(((o * u) + positions[k]) * chunk, chunk));
            }
        }

        if (Indices >= 0)
        {
            var indices = c.OutputLongs(Indices, [u]);
            for (var k = 0; k < u; k++)
            {
                indices[positions[k]] = firstOf[k];
            }
        }

        if (InverseIndices >= 0)
        {
            var inverse = c.OutputLongs(InverseIndices, [n]);
            for (var i = 0; i < n; i++)
            {
                inverse[i] = positions[uniqueOf[i]];
            }
        }

        if (Counts >= 0)
        {
            var counts = c.OutputLongs(Counts, [u]);
            counts.Clear();
            for (var i = 0; i < n; i++)
            {
                counts[positions[uniqueOf[i]]]++;
            }
        }
    }

    /// <summary>Stable bottom-up merge sort of slice ids (no allocation; n log n comparisons).</summary>
    private static void MergeSort(Span<int> items, Span<int> buffer, in SliceKeys keys)
    {
        var n = items.Length;
        for (var width = 1; width < n; width *= 2)
        {
            for (var lo = 0; lo < n; lo += 2 * width)
            {
                var mid = Math.Min(lo + width, n);
                var hi = Math.Min(lo + (2 * width), n);
                int i = lo, j = mid, k = lo;
                while (i < mid && j < hi)
                {
                    buffer[k++] = keys.Compare(items[j], items[i]) < 0 ? items[j++] : items[i++];
                }

                while (i < mid)
                {
                    buffer[k++] = items[i++];
                }

                while (j < hi)
                {
                    buffer[k++] = items[j++];
                }
            }

            buffer[..n].CopyTo(items);
        }
    }

    /// <summary>Lexicographic comparison of two slices along the axis, by element type.</summary>
    private readonly ref struct SliceKeys
    {
        private readonly ReadOnlySpan<float> _floats;
        private readonly ReadOnlySpan<long> _longs;
        private readonly ReadOnlySpan<bool> _bools;
        private readonly TensorType _type;
        private readonly int _n;
        private readonly int _outer;
        private readonly int _inner;

        public SliceKeys(OpContext c, int x, int n, int outer, int inner)
        {
            _type = c.TypeOf(x);
            _floats = _type == TensorType.Float32 ? c.Floats(x) : default;
            _longs = _type == TensorType.Int64 ? c.Longs(x) : default;
            _bools = _type == TensorType.Bool ? c.Bools(x) : default;
            (_n, _outer, _inner) = (n, outer, inner);
        }

        public int Compare(int a, int b)
        {
            for (var o = 0; o < _outer; o++)
            {
                var ia = ((o * _n) + a) * _inner;
                var ib = ((o * _n) + b) * _inner;
                for (var k = 0; k < _inner; k++)
                {
                    var r = _type switch
                    {
                        TensorType.Float32 => _floats[ia + k].CompareTo(_floats[ib + k]),
                        TensorType.Int64 => _longs[ia + k].CompareTo(_longs[ib + k]),
                        _ => _bools[ia + k].CompareTo(_bools[ib + k]),
                    };
                    if (r != 0)
                    {
                        return r;
                    }
                }
            }

            return 0;
        }
    }
}
