using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime;

/// <summary>
/// Int8 conv weights repacked for <see cref="Int8Conv"/>'s tiles: per group and per block of 16 output channels, one
/// 64-byte step per (kh, kw, 4 input channels) holding, for each of the 16 channels, the 4 weight codes that meet one
/// 4-byte group of activation codes (<c>vpdpbusd</c>/<c>vpmaddubsw</c> sum 4 adjacent byte products per int32 lane).
/// Missing channels (input channels past C/group, output channels past the last block's end) are 0, so they add
/// nothing whatever activation codes they meet. Made once per weight matrix and shape, shared by all threads.
/// </summary>
/// <param name="KernelH">Kernel height the packing is for.</param>
/// <param name="KernelW">Kernel width.</param>
/// <param name="Group">Groups.</param>
/// <param name="PaddedChannels">Input channels per group rounded up to a multiple of 4.</param>
/// <param name="Codes">The steps, <c>[group][block][kh][kw][c/4][16 lanes][4]</c>.</param>
/// <param name="Sums">Σ_k w[oc, k] per lane (0 for padding lanes), for the zero-point correction.</param>
/// <param name="Scales">The weight scale per lane (0 for padding lanes).</param>
/// <param name="HasMinus128">Whether any code is −128 (<see cref="SignedByteDot"/> cannot negate it).</param>
internal sealed record Int8ConvWeights(int KernelH, int KernelW, int Group, int PaddedChannels, sbyte[] Codes, int[] Sums, float[] Scales, bool HasMinus128)
{
    /// <summary>Output channels per block: two 8-lane int32 registers.</summary>
    public const int Block = 16;

    private static readonly ConditionalWeakTable<WeightMatrix, Int8ConvWeights> Cache = [];

    /// <summary>Blocks of <see cref="Block"/> output channels per group.</summary>
    public static int Blocks(int outputsPerGroup) => (outputsPerGroup + Block - 1) / Block;

    /// <summary>Input channels per group rounded up to a multiple of 4 (one int32 lane of codes).</summary>
    public static int PadChannels(int channelsPerGroup) => (channelsPerGroup + 3) & ~3;

    /// <summary>The packing of <paramref name="w"/> (int8 symmetric, <c>OC × (C/group·kh·kw)</c>) for this kernel shape, made on first use.</summary>
    public static Int8ConvWeights For(WeightMatrix w, int kernelH, int kernelW, int group)
    {
        if (Cache.TryGetValue(w, out var cached) && cached.KernelH == kernelH && cached.KernelW == kernelW && cached.Group == group)
        {
            return cached;
        }

        var packed = Pack(w, kernelH, kernelW, group);
        Cache.AddOrUpdate(w, packed); // a race packs twice; both results are equal
        return packed;
    }

    private static Int8ConvWeights Pack(WeightMatrix w, int kh, int kw, int group)
    {
        int ocg = w.Rows / group, cg = w.Cols / (kh * kw), cp = PadChannels(cg), blocks = Blocks(ocg);
        int steps = kh * kw * (cp / 4);
        var codes = new sbyte[group * blocks * steps * Block * 4];
        var sums = new int[group * blocks * Block];
        var scales = new float[group * blocks * Block];
        ReadOnlySpan<sbyte> src = w.Int8;
        ReadOnlySpan<float> rowScales = w.Scales;
        var rowSums = w.Int8RowSums();
        for (int g = 0; g < group; g++)
        {
            for (int o = 0; o < ocg; o++)
            {
                int row = (g * ocg) + o, lane = o % Block, blockAt = ((g * blocks) + (o / Block)) * steps;
                sums[(g * blocks * Block) + o] = rowSums.Sums[row];
                scales[(g * blocks * Block) + o] = rowScales[row];
                for (int c = 0; c < cg; c++)
                {
                    for (int y = 0; y < kh; y++)
                    {
                        for (int x = 0; x < kw; x++)
                        {
                            int step = blockAt + (((y * kw) + x) * (cp / 4)) + (c / 4);
                            codes[(((step * Block) + lane) * 4) + (c % 4)] = src[(row * w.Cols) + (((c * kh) + y) * kw) + x];
                        }
                    }
                }
            }
        }

        return new Int8ConvWeights(kh, kw, group, cp, codes, sums, scales, rowSums.HasMinus128);
    }
}
