using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime;

/// <summary>
/// Int8 conv weights repacked for <see cref="Int8Conv"/>'s tiles: per group and per block of <see cref="Block"/> output
/// channels, one 4-byte cell per (step, channel), the steps in <see cref="Int8ConvImage.Offsets"/>' order ((ky, kx)
/// outer, cell of input channels inner). A cell holds the weights that meet one image cell: 4 int8 codes
/// (<c>vpdpbusd</c>) or 2 codes widened to int16 (<c>vpmaddwd</c>); the tile broadcasts it against 8 pixels' cells.
/// Missing channels (input channels past C/group, output channels past the last block's end) are 0, so they add
/// nothing whatever they meet. Made once per weight matrix, shape and cell kind, shared by all threads.
/// </summary>
/// <param name="KernelH">Kernel height the packing is for.</param>
/// <param name="KernelW">Kernel width.</param>
/// <param name="Group">Groups.</param>
/// <param name="Lanes">Input channels per cell: 4 (int8) or 2 (int16).</param>
/// <param name="Cells">The cells, <c>[group][block][step][Block]</c>.</param>
/// <param name="Sums">Σ_k w[oc, k] per output channel padded to whole blocks (0 there), for the zero-point correction.</param>
/// <param name="Scales">The weight scale per output channel padded to whole blocks (0 there).</param>
internal sealed record Int8ConvWeights(int KernelH, int KernelW, int Group, int Lanes, int[] Cells, int[] Sums, float[] Scales)
{
    /// <summary>Output channels per tile: each step broadcasts one cell per channel against two registers of pixels.</summary>
    public const int Block = 4;

    private static readonly ConditionalWeakTable<WeightMatrix, Int8ConvWeights[]> Cache = [];

    /// <summary>Blocks of <see cref="Block"/> output channels per group.</summary>
    public static int Blocks(int outputsPerGroup) => (outputsPerGroup + Block - 1) / Block;

    /// <summary>The packing of <paramref name="w"/> (int8 symmetric, <c>OC × (C/group·kh·kw)</c>) for this kernel shape and cell kind, made on first use.</summary>
    public static Int8ConvWeights For(WeightMatrix w, int kernelH, int kernelW, int group, int lanes)
    {
        var both = Cache.GetValue(w, _ => new Int8ConvWeights[2]);
        int slot = lanes == 4 ? 0 : 1;
        if (Volatile.Read(ref both[slot]) is { } cached && cached.KernelH == kernelH && cached.KernelW == kernelW && cached.Group == group)
        {
            return cached;
        }

        var packed = Pack(w, kernelH, kernelW, group, lanes);
        Volatile.Write(ref both[slot], packed); // a race packs twice; both results are equal
        return packed;
    }

    private static Int8ConvWeights Pack(WeightMatrix w, int kh, int kw, int group, int lanes)
    {
        int ocg = w.Rows / group, cg = w.Cols / (kh * kw), units = (cg + lanes - 1) / lanes, blocks = Blocks(ocg);
        int steps = kh * kw * units;
        var cells = new int[group * blocks * steps * Block];
        var sums = new int[group * blocks * Block];
        var scales = new float[group * blocks * Block];
        ReadOnlySpan<sbyte> src = w.Int8;
        ReadOnlySpan<float> rowScales = w.Scales;
        var rowSums = w.Int8RowSums();
        Span<sbyte> bytes = stackalloc sbyte[4];
        Span<short> halves = stackalloc short[2];
        for (int g = 0; g < group; g++)
        {
            for (int o = 0; o < ocg; o++)
            {
                int row = (g * ocg) + o, lane = o % Block, blockAt = ((g * blocks) + (o / Block)) * steps;
                sums[(g * blocks * Block) + o] = rowSums.Sums[row];
                scales[(g * blocks * Block) + o] = rowScales[row];
                for (int y = 0; y < kh; y++)
                {
                    for (int x = 0; x < kw; x++)
                    {
                        for (int u = 0; u < units; u++)
                        {
                            for (int l = 0; l < lanes; l++)
                            {
                                int c = (u * lanes) + l;
                                sbyte code = c < cg ? src[(row * w.Cols) + (((c * kh) + y) * kw) + x] : (sbyte)0;
                                if (lanes == 4)
                                {
                                    bytes[l] = code;
                                }
                                else
                                {
                                    halves[l] = code;
                                }
                            }

                            int step = blockAt + (((y * kw) + x) * units) + u;
                            cells[(step * Block) + lane] = lanes == 4
                                ? System.Runtime.InteropServices.MemoryMarshal.Read<int>(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bytes))
                                : System.Runtime.InteropServices.MemoryMarshal.Read<int>(System.Runtime.InteropServices.MemoryMarshal.AsBytes(halves));
                        }
                    }
                }
            }
        }

        return new Int8ConvWeights(kh, kw, group, lanes, cells, sums, scales);
    }
}
