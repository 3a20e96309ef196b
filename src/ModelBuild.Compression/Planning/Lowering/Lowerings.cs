namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>The table from ONNX op type to its lowering unit: the one place that lists what the generated runtime covers.</summary>
internal static class Lowerings
{
    private static readonly INodeLowering[] s_units =
    [
        new ConvLowering(),
        new DenseLowering(),
        new PoolLowering(),
        new UnaryLowering(),
        new BinaryLowering(),
        new VariadicLowering(),
        new LogicLowering(),
        new TriluLowering(),
        new SoftmaxLowering(),
        new NormalizationLowering(),
        new BatchNormLowering(),
        new TransposeLowering(),
        new ConcatLowering(),
        new ViewLowering(),
        new CastLowering(),
        new ShapeLowering(),
        new GatherLowering(),
        new SliceLowering(),
        new PadLowering(),
        new GeneratorLowering(),
        new RearrangeLowering(),
        new IndexingLowering(),
        new ReductionLowering(),
        new ArgReduceLowering(),
        new TopKLowering(),
        new CumSumLowering(),
        new ResizeLowering(),
        new ConvTransposeLowering(),
        new GridSampleLowering(),
        new MaxUnpoolLowering(),
        new RoiAlignLowering(),
        new LinearAlgebraLowering(),
        new WindowLowering(),
        new NonMaxSuppressionLowering(),
        new SpectralLowering(),
        new RecurrentLowering(),
    ];

    private static readonly Dictionary<string, INodeLowering> s_byOpType = s_units
        .SelectMany(u => u.OpTypes.Select(t => (t, u)))
        .ToDictionary(p => p.t, p => p.u, StringComparer.Ordinal);

    /// <summary>The lowering for <paramref name="opType"/> (default domain), or null.</summary>
    public static INodeLowering? For(string opType) => s_byOpType.GetValueOrDefault(opType);

    /// <summary>Every covered ONNX op type, sorted (README's list is checked against this).</summary>
    public static IReadOnlyList<string> CoveredOpTypes => s_byOpType.Keys.Order(StringComparer.Ordinal).ToList();
}
