using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// ONNX TopK over the middle index of <c>[outer, axis, inner]</c>: the <paramref name="k"/> largest (smallest)
    /// values along the axis in order, and their indices. Equal values come in index order (the lower index first, as
    /// ONNX specifies); NaN counts as larger than every number, as in numpy's sort.
    /// </summary>
    /// <param name="x">Inputs, <c>outer·axis·inner</c> floats.</param>
    /// <param name="values">The selected values, <c>outer·k·inner</c>.</param>
    /// <param name="indices">Their indices along the axis, same layout.</param>
    /// <param name="outer">Product of the dims before the axis.</param>
    /// <param name="axis">Length of the axis.</param>
    /// <param name="inner">Product of the dims after the axis.</param>
    /// <param name="k">How many to select, 0 ≤ k ≤ axis.</param>
    /// <param name="largest">Select the largest (true) or the smallest values.</param>
    /// <param name="scratch">At least <c>2·axis</c> floats.</param>
    public static void TopK(ReadOnlySpan<float> x, Span<float> values, Span<long> indices, int outer, int axis, int inner, int k, bool largest, Span<float> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        ArgumentOutOfRangeException.ThrowIfNegative(axis);
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, axis);
        Check.AtLeast(x.Length, (long)outer * axis * inner, nameof(x), "outer × axis × inner");
        Check.AtLeast(values.Length, (long)outer * k * inner, nameof(values), "outer × k × inner");
        Check.AtLeast(indices.Length, (long)outer * k * inner, nameof(indices), "outer × k × inner");
        Check.AtLeast(scratch.Length, 2L * axis, nameof(scratch), "2 × axis");
        Span<TopKEntry> entries = MemoryMarshal.Cast<float, TopKEntry>(scratch)[..axis];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int start = (o * axis * inner) + i;
                for (int a = 0; a < axis; a++)
                {
                    entries[a] = new TopKEntry(x[start + (a * inner)], a);
                }

                SelectBest(entries, k, largest);
                int to = (o * k * inner) + i;
                for (int j = 0; j < k; j++)
                {
                    values[to + (j * inner)] = entries[j].Value;
                    indices[to + (j * inner)] = entries[j].Index;
                }
            }
        }
    }

    /// <summary>One candidate: its value and its index along the axis (two floats of scratch).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct TopKEntry(float Value, int Index);

    /// <summary>
    /// Moves the k best entries, best first, to the front: a heap of the k best seen so far with the worst on top,
    /// then a heap sort of it. O(n log k), no allocation (Span.Sort with a comparer allocates per call), and the
    /// index tie-break makes the order total, so the answer does not depend on the algorithm.
    /// </summary>
    private static void SelectBest(Span<TopKEntry> entries, int k, bool largest)
    {
        if (k == 0)
        {
            return;
        }

        Span<TopKEntry> heap = entries[..k];
        for (int i = (k / 2) - 1; i >= 0; i--)
        {
            SiftDown(heap, i, largest);
        }

        for (int j = k; j < entries.Length; j++)
        {
            if (RanksBefore(entries[j], heap[0], largest))
            {
                heap[0] = entries[j];
                SiftDown(heap, 0, largest);
            }
        }

        for (int end = k - 1; end > 0; end--)
        {
            (heap[0], heap[end]) = (heap[end], heap[0]);
            SiftDown(heap[..end], 0, largest);
        }
    }

    /// <summary>Restores "every parent ranks after its children" below <paramref name="i"/>.</summary>
    private static void SiftDown(Span<TopKEntry> heap, int i, bool largest)
    {
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= heap.Length)
            {
                return;
            }

            if (child + 1 < heap.Length && RanksBefore(heap[child], heap[child + 1], largest))
            {
                child++;
            }

            if (!RanksBefore(heap[i], heap[child], largest))
            {
                return;
            }

            (heap[i], heap[child]) = (heap[child], heap[i]);
            i = child;
        }
    }

    /// <summary>Whether <paramref name="a"/> comes before <paramref name="b"/>: the better value, then the lower index.</summary>
    private static bool RanksBefore(in TopKEntry a, in TopKEntry b, bool largest)
    {
        int byValue = largest ? NaNLargest(b.Value, a.Value) : NaNLargest(a.Value, b.Value);
        return byValue != 0 ? byValue < 0 : a.Index < b.Index;
    }

    private static int NaNLargest(float a, float b) =>
        float.IsNaN(a) ? (float.IsNaN(b) ? 0 : 1) : float.IsNaN(b) ? -1 : a.CompareTo(b);
}
