namespace ModelBuild.Runtime;

/// <summary>
/// A transposed convolution over up to 3 spatial axes (depth, height, width; 1-D and 2-D use size-1 leading axes),
/// per sample. Output position <c>o = i·stride − padBegin + k·dilation</c> on each axis receives input <c>i</c>
/// through tap <c>k</c>.
/// </summary>
/// <param name="C">Input channels.</param>
/// <param name="OC">Output channels (OC/Group per group).</param>
/// <param name="Group">Number of groups.</param>
/// <param name="In">Input [D, H, W].</param>
/// <param name="Out">Output [OD, OH, OW].</param>
/// <param name="Kernel">[KD, KH, KW].</param>
/// <param name="Stride">[SD, SH, SW].</param>
/// <param name="Dilation">[DD, DH, DW].</param>
/// <param name="PadBegin">Leading pads [front, top, left] (cropped from the full output).</param>
internal readonly record struct ConvTransposeShape(int C, int OC, int Group, Dims3 In, Dims3 Out, Dims3 Kernel, Dims3 Stride, Dims3 Dilation, Dims3 PadBegin)
{
    /// <summary>Weight rows per group: (OC/Group)·KD·KH·KW.</summary>
    public int RowsPerGroup => OC / Group * Kernel.Volume;
}

/// <summary>Three sizes (depth, height, width).</summary>
internal readonly record struct Dims3(int D, int H, int W)
{
    public int Volume => D * H * W;

    public int this[int axis] => axis switch { 0 => D, 1 => H, _ => W };

    /// <summary>The last <paramref name="values"/>.Length entries from <paramref name="values"/>, the rest <paramref name="fill"/>.</summary>
    public static Dims3 Trailing(ReadOnlySpan<int> values, int fill)
    {
        Span<int> v = [fill, fill, fill];
        values.CopyTo(v[(3 - values.Length)..]);
        return new Dims3(v[0], v[1], v[2]);
    }
}
