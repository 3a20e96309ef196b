using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX MelWeightMatrix (opset 17): <c>[⌊dft_length/2⌋ + 1, num_mel_bins]</c> triangular filters with peak 1 on the
/// mel scale <c>mel(f) = 2595·log10(1 + f/700)</c>. As the ONNX reference (onnx/reference/ops/op_mel_weight_matrix.py)
/// and ONNX Runtime compute it: <c>num_mel_bins + 2</c> edges spaced by <c>(mel(upper) − mel(lower)) / (num_mel_bins + 2)</c>
/// from mel(lower), each mapped back to hertz and to the bin <c>⌊(dft_length + 1)·f / sample_rate⌋</c>; filter i
/// rises from edge i to edge i+1 and falls to edge i+2. Computed in float64.
/// </summary>
/// <param name="MelBins">Scalar int64 num_mel_bins.</param>
/// <param name="DftLength">Scalar int64 dft_length.</param>
/// <param name="SampleRate">Scalar int64 sample_rate.</param>
/// <param name="Lower">Scalar float32 lower_edge_hertz.</param>
/// <param name="Upper">Scalar float32 upper_edge_hertz.</param>
/// <param name="Y">Output, float32.</param>
public sealed record MelWeightMatrixOp(int MelBins, int DftLength, int SampleRate, int Lower, int Upper, int Y) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        long mels = c.Longs(MelBins)[0], dftLength = c.Longs(DftLength)[0], sampleRate = c.Longs(SampleRate)[0];
        if (mels < 0 || mels > 1 << 16 || dftLength < 1 || dftLength > 1 << 24 || sampleRate < 1)
        {
            throw Fail($"num_mel_bins {mels}, dft_length {dftLength} or sample_rate {sampleRate} is out of range.");
        }

        int melBins = (int)mels, spectrumBins = (int)(dftLength / 2) + 1;
        var y = c.OutputFloats(Y, [spectrumBins, melBins]);
        y.Clear();
        double lowMel = Mel(c.Floats(Lower)[0]), highMel = Mel(c.Floats(Upper)[0]);
        var melStep = (highMel - lowMel) / (melBins + 2);
        for (var i = 0; i < melBins; i++)
        {
            int left = Edge(i), center = Edge(i + 1), right = Edge(i + 2);
            if (center == left)
            {
                Set(y, center, i, 1);
            }
            else
            {
                for (var j = left; j <= center; j++)
                {
                    Set(y, j, i, (double)(j - left) / (center - left));
                }
            }

            for (var j = center; j < right; j++)
            {
                Set(y, j, i, (double)(right - j) / (right - center));
            }
        }

        int Edge(int e)
        {
            var hertz = 700 * (Math.Pow(10, (lowMel + (e * melStep)) / 2595) - 1);
            return (int)Math.Floor((dftLength + 1) * hertz / sampleRate);
        }

        void Set(Span<float> y, int bin, int mel, double value)
        {
            if ((uint)bin >= (uint)spectrumBins)
            {
                throw Fail($"filter {mel} reaches bin {bin}, outside the {spectrumBins} bins (upper_edge_hertz above sample_rate/2?).");
            }

            y[(bin * melBins) + mel] = (float)value;
        }
    }

    private static double Mel(double hertz) => 2595 * Math.Log10(1 + (hertz / 700));
}
