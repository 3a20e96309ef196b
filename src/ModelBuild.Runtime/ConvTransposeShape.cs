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

    /// <summary>
    /// The input rows (id, ih) that tap (kd, kh) sends inside the output, each with the output row (od, oh) it lands
    /// on, as the flat offsets of both rows' first element in one channel's volume.
    /// </summary>
    public TapRows RowsOfTap(int kd, int kh) => new(this, kd, kh);
}

/// <summary>Enumerates <see cref="ConvTransposeShape.RowsOfTap"/> (a struct, so a <c>foreach</c> allocates nothing).</summary>
internal struct TapRows
{
    private readonly ConvTransposeShape _s;
    private readonly int _kd;
    private readonly int _kh;
    private int _id;
    private int _ih;

    public TapRows(in ConvTransposeShape s, int kd, int kh)
    {
        _s = s;
        _kd = kd;
        _kh = kh;
        _id = 0;
        _ih = -1;
        Current = default;
    }

    /// <summary>(offset of input row (id, ih), offset of output row (od, oh)).</summary>
    public (int In, int Out) Current { get; private set; }

    public readonly TapRows GetEnumerator() => this;

    public bool MoveNext()
    {
        Dims3 i3 = _s.In, o3 = _s.Out;
        while (true)
        {
            if (++_ih >= i3.H)
            {
                _ih = 0;
                _id++;
            }

            if (_id >= i3.D || i3.H == 0)
            {
                return false;
            }

            int od = (_id * _s.Stride.D) - _s.PadBegin.D + (_kd * _s.Dilation.D);
            int oh = (_ih * _s.Stride.H) - _s.PadBegin.H + (_kh * _s.Dilation.H);
            if ((uint)od < (uint)o3.D && (uint)oh < (uint)o3.H)
            {
                Current = (((_id * i3.H) + _ih) * i3.W, ((od * o3.H) + oh) * o3.W);
                return true;
            }
        }
    }
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
