using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

/// <summary>
/// Conv over a batch of small images as one GEMM: the im2col panels of several images are laid side by side,
/// <c>col[k, image·P + pixel]</c>, so the pixels of all those images form the GEMM's N dimension and the packed
/// weights (<see cref="ConvGemm.RunPacked"/>) pass over one wide panel instead of one narrow panel per image
/// (a 3×3 output is 9 pixels: two overlapping 8-wide tiles per image and block of 4 channels, against
/// full-width tiles over the batch). Panels hold as many whole images as fit <see cref="PanelFloats"/>
/// (N-blocking: the panel stays in L2 while every channel block passes over it); the outputs, <c>[OC, images·P]</c>,
/// are then copied to NCHW. Larger images keep the per-image path, which already has wide tiles
/// and no copy (<see cref="MaxPixels"/>).
/// </summary>
internal static class ConvBatch
{
    /// <summary>
    /// Output pixels per image below which im2col convs are batched: the per-image path's main tile is 48 pixels wide
    /// (AVX-512; 24 on AVX2), so smaller images run only narrow or scalar tiles. Measured at batch 64 (`-- quick batch`,
    /// thread CPU time, loaded machine): 1×1 outputs 0.09×, 2×2 and 3×3 outputs ~0.6× the per-image time; 7×7, 8×8 and
    /// 14×14 3×3 convs 0.9–1.3× (noise around 1), so those stay per image.
    /// </summary>
    public const int MaxPixels = 48;

    /// <summary>
    /// The same for pointwise convs, whose per-image path reads the input in place: batching them adds a copy of the
    /// input, which cost 1.2–2× on 4×4 and 7×7 images; below 16 pixels the per-image tiles are 8 wide or scalar.
    /// </summary>
    public const int MaxPointwisePixels = 16;

    /// <summary>Target col panel size in floats (128 KB, as <see cref="Im2Col"/>'s panels).</summary>
    private const int PanelFloats = 1 << 15;

    [ThreadStatic]
    private static float[]? t_buffer;

    /// <summary>Whether a group-1 packed conv over more than one image takes this path.</summary>
    public static bool Applies(in Conv2DShape s, bool pointwise) => s.Group == 1 && s.OH * s.OW < (pointwise ? MaxPointwisePixels : MaxPixels);

    /// <summary>
    /// The panel's row stride for <paramref name="pixels"/> columns: a multiple of 64 floats gets 16 more (zero) columns.
    /// Rows 256·j bytes apart map to a few L1 sets, and the K rows of a tile then evict each other (a 16-image panel of
    /// 4×4 outputs, 256 floats wide, ran at half the per-image speed); the extra columns cost 16 / width of the FMAs.
    /// </summary>
    private static int Stride(int pixels) => pixels % 64 == 0 ? pixels + 16 : pixels;

    /// <summary>Whole images per panel (at least 1); a thread split cuts the batch only at multiples of this, so each panel, and each result, is the same for every thread count.</summary>
    public static int ImagesPerPanel(in Conv2DShape s) => Math.Max(1, PanelFloats / Math.Max(1, s.C * s.KH * s.KW * s.OH * s.OW));

    /// <summary>The batched packed conv (group 1); <paramref name="pointwise"/>: the input already is the col matrix per image.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(SimdLevel level, ReadOnlySpan<float> x, ref float pw, Span<float> y, in Conv2DShape s, int batch, bool pointwise, in Epilogue ep)
    {
        RunBody(level, x, ref pw, y, in s, batch, pointwise, in ep);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(SimdLevel level, ReadOnlySpan<float> x, ref float pw, Span<float> y, in Conv2DShape s, int batch, bool pointwise, in Epilogue ep)
    {
        int p = s.OH * s.OW, hw = s.H * s.W, k = s.C * s.KH * s.KW;
        int images = Math.Min(ImagesPerPanel(s), batch);
        int most = Stride(images * p);
        int need = (k + s.OC) * most;
        Span<float> buffer = ThreadScratch.Get(ref t_buffer, need);
        Span<float> col = buffer[..(k * most)];
        Span<float> output = buffer.Slice(k * most, s.OC * most);
        for (int n0 = 0; n0 < batch; n0 += images)
        {
            int m = Math.Min(images, batch - n0), width = Stride(m * p);
            for (int row = 0; row < k; row++)
            {
                Simd.Fill(col.Slice((row * width) + (m * p), width - (m * p)), 0);
            }

            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<float> xi = x.Slice((n0 + i) * s.C * hw, s.C * hw);
                if (pointwise)
                {
                    for (int row = 0; row < k; row++)
                    {
                        Simd.Copy(xi.Slice(row * p, p), col.Slice((row * width) + (i * p), p));
                    }
                }
                else
                {
                    Im2Col.Fill(level, xi, col[(i * p)..], s, s.C, 0, s.OH, ld: width);
                }
            }

            ConvGemm.RunPacked(level, ref pw, s.OC, ref MemoryMarshal.GetReference(col), k, width, ref MemoryMarshal.GetReference(output), 0, ep);
            for (int i = 0; i < m; i++)
            {
                ref float yi = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), (nint)(n0 + i) * s.OC * p);
                for (int j = 0; j < s.OC; j++)
                {
                    Simd.Copy(output.Slice((j * width) + (i * p), p), MemoryMarshal.CreateSpan(ref Unsafe.Add(ref yi, (nint)j * p), p));
                }
            }
        }
    }
}
