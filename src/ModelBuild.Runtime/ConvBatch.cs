using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

/// <summary>
/// Conv over a batch of small images as one GEMM: the im2col panels of several images are laid side by side,
/// <c>col[k, image·P + pixel]</c>, so the pixels of all those images form the GEMM's N dimension and the packed
/// weights (<see cref="ConvGemm.RunPacked"/>) pass over one wide panel instead of one narrow panel per image
/// (an 8×8 output is 64 pixels: one 48-wide tile and a 16-wide tail per image and channel block, against
/// full-width tiles over the batch). Panels hold as many whole images as fit <see cref="PanelFloats"/>
/// (N-blocking: the panel stays in L2 while every channel block passes over it); the outputs, <c>[OC, images·P]</c>,
/// are then copied to NCHW. Images with <see cref="MaxPixels"/> or more output pixels keep the per-image path,
/// which already has wide tiles and no copy.
/// </summary>
internal static class ConvBatch
{
    /// <summary>Output pixels per image below which images are batched (16×16 = 256 and up run image by image).</summary>
    public const int MaxPixels = 256;

    /// <summary>Target col panel size in floats (128 KB, as <see cref="Im2Col"/>'s panels).</summary>
    private const int PanelFloats = 1 << 15;

    [ThreadStatic]
    private static float[]? t_buffer;

    /// <summary>Whether a group-1 packed conv over more than one image takes this path.</summary>
    public static bool Applies(in Conv2DShape s) => s.Group == 1 && s.OH * s.OW < MaxPixels;

    /// <summary>Whole images per panel (at least 1); a thread split cuts the batch only at multiples of this, so each panel, and each result, is the same for every thread count.</summary>
    public static int ImagesPerPanel(in Conv2DShape s) => Math.Max(1, PanelFloats / Math.Max(1, s.C * s.KH * s.KW * s.OH * s.OW));

    /// <summary>The batched packed conv (group 1); <paramref name="pointwise"/>: the input already is the col matrix per image.</summary>
    public static void Run(SimdLevel level, ReadOnlySpan<float> x, ref float pw, Span<float> y, in Conv2DShape s, int batch, bool pointwise, in Epilogue ep)
    {
        int p = s.OH * s.OW, hw = s.H * s.W, k = s.C * s.KH * s.KW;
        int images = Math.Min(ImagesPerPanel(s), batch);
        int need = (k + s.OC) * images * p;
        float[] buffer = t_buffer is { } b && b.Length >= need ? b : (t_buffer = new float[need]);
        Span<float> col = buffer.AsSpan(0, k * images * p);
        Span<float> output = buffer.AsSpan(k * images * p, s.OC * images * p);
        for (int n0 = 0; n0 < batch; n0 += images)
        {
            int m = Math.Min(images, batch - n0), width = m * p;
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<float> xi = x.Slice((n0 + i) * s.C * hw, s.C * hw);
                if (pointwise)
                {
                    for (int row = 0; row < k; row++)
                    {
                        xi.Slice(row * p, p).CopyTo(col.Slice((row * width) + (i * p), p));
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
                    output.Slice((j * width) + (i * p), p).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref yi, (nint)j * p), p));
                }
            }
        }
    }
}
