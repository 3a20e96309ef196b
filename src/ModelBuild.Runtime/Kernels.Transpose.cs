using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    private const int MaxTransposeRank = 16;

    /// <summary>
    /// Per-sample n-d transpose: output dim i is input dim <c>perm[i]</c>, so
    /// <c>y[i0..in] = x[j]</c> with <c>j[perm[i]] = i</c>.
    /// </summary>
    /// <param name="x">Inputs, <c>batch × Π shape</c> floats.</param>
    /// <param name="y">Outputs, same size; must not alias <paramref name="x"/>.</param>
    /// <param name="shape">The per-sample input shape.</param>
    /// <param name="perm">The per-sample permutation of <c>0..rank-1</c>.</param>
    /// <param name="batch">Number of samples.</param>
    public static void Transpose(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> perm, int batch)
    {
        int rank = shape.Length;
        if (perm.Length != rank || rank > MaxTransposeRank)
        {
            throw new ArgumentException($"perm must have the rank of shape ({rank}, at most {MaxTransposeRank}) but has {perm.Length} entries.", nameof(perm));
        }

        int seen = 0;
        long size = 1;
        for (int i = 0; i < rank; i++)
        {
            if ((uint)perm[i] >= (uint)rank || (seen & (1 << perm[i])) != 0)
            {
                throw new ArgumentException($"perm is not a permutation of 0..{rank - 1}.", nameof(perm));
            }

            seen |= 1 << perm[i];
            size *= shape[i];
        }

        Check.AtLeast(x.Length, batch * size, nameof(x), "batch × Π shape");
        Check.AtLeast(y.Length, batch * size, nameof(y), "batch × Π shape");
        TransposeAt(Simd.Best, x, y, shape, perm, batch);
    }

    /// <summary>
    /// The checked permutation at one SIMD level: reduced to its merged form (<see cref="TransposeForm"/>); a copy when
    /// nothing moves, blocks of 2-D transposes (<see cref="Transpose2D"/>) when two dim groups swap (NHWC ↔ NCHW,
    /// [M, N] → [N, M]), else the scalar odometer.
    /// </summary>
    internal static void TransposeAt(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> perm, int batch)
    {
        var form = TransposeForm.Of(shape, perm);
        long total = (long)batch * form.Outer * form.Rows * form.Cols * form.Inner;
        if (form.Kind == TransposeKind.Copy)
        {
            x[..(int)total].CopyTo(y);
        }
        else if (form.Kind == TransposeKind.Swap && form.Inner == 1)
        {
            Transpose2D(level, x, y, batch * form.Outer, form.Rows, form.Cols);
        }
        else
        {
            TransposeScalar(x, y, shape, perm, batch);
        }
    }

    /// <summary>
    /// A gather with an odometer over the output; memory-bound, so there is no vector form (a vector gather
    /// of strided floats is no faster on current x64).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void TransposeScalar(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> perm, int batch)
    {
        // Rank-sized index tables: here, so that the body (no stackalloc of a variable size) can be inlined.
        Span<int> tables = shape.Length <= Execution.ShapeMath.MaxRank ? stackalloc int[4 * Execution.ShapeMath.MaxRank] : new int[4 * shape.Length];
        TransposeScalarBody(x, y, shape, perm, batch, tables);
    }

    // TransposeScalar's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeScalarBody(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> perm, int batch, Span<int> tables)
    {
        int rank = shape.Length, slots = tables.Length / 4;
        Span<int> inStride = tables[..rank];
        Span<int> outDims = tables.Slice(slots, rank);
        Span<int> stride = tables.Slice(2 * slots, rank);
        Span<int> index = tables.Slice(3 * slots, rank);
        int size = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            inStride[i] = size;
            size *= shape[i];
        }

        for (int i = 0; i < rank; i++)
        {
            outDims[i] = shape[perm[i]];
            stride[i] = inStride[perm[i]];
        }

        if (size == 0)
        {
            return;
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int last = rank - 1;
        int innerLen = rank == 0 ? 1 : outDims[last], innerStride = rank == 0 ? 0 : stride[last];
        for (int n = 0; n < batch; n++)
        {
            ref float xs = ref Unsafe.Add(ref xr, (nint)n * size);
            ref float ys = ref Unsafe.Add(ref yr, (nint)n * size);
            index.Clear();
            int src = 0, dst = 0;
            while (true)
            {
                for (int i = 0, s = src; i < innerLen; i++, s += innerStride)
                {
                    Unsafe.Add(ref ys, dst++) = Unsafe.Add(ref xs, s);
                }

                int d = last - 1;
                for (; d >= 0; d--)
                {
                    src += stride[d];
                    if (++index[d] < outDims[d])
                    {
                        break;
                    }

                    src -= stride[d] * outDims[d];
                    index[d] = 0;
                }

                if (d < 0)
                {
                    break;
                }
            }
        }
    }
}
