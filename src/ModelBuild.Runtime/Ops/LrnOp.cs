using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX LRN (local response normalisation across channels) on <c>x [N, C, …]</c>:
/// <c>y = x / (Bias + Alpha / Size · Σ x²)^Beta</c>, the sum over channels
/// <c>max(0, c − ⌊(Size−1)/2⌋) … min(C−1, c + ⌈(Size−1)/2⌉)</c> at the same sample and position.
/// </summary>
/// <param name="X">Input <c>[N, C, …]</c>, rank ≥ 2.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Size">Number of channels summed.</param>
/// <param name="Alpha">Scale of the sum.</param>
/// <param name="Beta">Exponent.</param>
/// <param name="Bias">Added constant.</param>
public sealed record LrnOp(int X, int Y, int Size, float Alpha, float Beta, float Bias) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (xs.Length < 2 || Size <= 0)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} must be [N, C, …] and size ({Size}) positive.");
        }

        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        var y = c.OutputFloats(Y, shape);
        if (y.Length == 0)
        {
            return;
        }

        var x = c.Floats(X);
        int channels = xs[1], hw = ShapeMath.Product(xs[2..]);
        int below = (Size - 1) / 2, above = Size - 1 - below;
        var k = Alpha / Size;
        for (var n = 0; n < xs[0]; n++)
        {
            var sample = n * channels * hw;
            for (var ch = 0; ch < channels; ch++)
            {
                int from = Math.Max(0, ch - below), to = Math.Min(channels - 1, ch + above);
                for (var j = 0; j < hw; j++)
                {
                    float sum = 0;
                    for (var w = from; w <= to; w++)
                    {
                        var v = x[sample + (w * hw) + j];
                        sum += v * v;
                    }

                    var i = sample + (ch * hw) + j;
                    y[i] = x[i] / MathF.Pow(Bias + (k * sum), Beta);
                }
            }
        }
    }
}
