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

                // The index tie-break makes the order total, so the unstable introsort still gives one answer.
                entries.Sort(new TopKOrder(largest));
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

    /// <summary>Best first (largest or smallest), then lower index first.</summary>
    private readonly struct TopKOrder(bool largest) : IComparer<TopKEntry>
    {
        public int Compare(TopKEntry a, TopKEntry b)
        {
            int byValue = largest ? NaNLargest(b.Value, a.Value) : NaNLargest(a.Value, b.Value);
            return byValue != 0 ? byValue : a.Index.CompareTo(b.Index);
        }

        private static int NaNLargest(float a, float b) =>
            float.IsNaN(a) ? (float.IsNaN(b) ? 0 : 1) : float.IsNaN(b) ? -1 : a.CompareTo(b);
    }
}
