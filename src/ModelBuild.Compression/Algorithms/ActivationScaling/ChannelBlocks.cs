namespace ModelBuild.Compression.Algorithms.ActivationScaling;

/// <summary>Maps per-input-channel values onto a layer's weight columns: a Conv's columns are channel-major (C × kh·kw).</summary>
public static class ChannelBlocks
{
    /// <summary>Each channel's value repeated over its block of <c>cols / perChannel.Length</c> consecutive columns.</summary>
    public static double[] Expand(double[] perChannel, int cols)
    {
        ArgumentNullException.ThrowIfNull(perChannel);
        var block = cols / perChannel.Length;
        return Enumerable.Range(0, cols).Select(j => perChannel[j / block]).ToArray();
    }

    /// <summary>The largest |w| per channel over all rows and the channel's columns (SmoothQuant's max|W_j|).</summary>
    public static double[] MaxAbs(double[] w, int cols, int channels)
    {
        ArgumentNullException.ThrowIfNull(w);
        var block = cols / channels;
        var max = new double[channels];
        for (var i = 0; i < w.Length; i++)
        {
            var c = i % cols / block;
            max[c] = Math.Max(max[c], Math.Abs(w[i]));
        }

        return max;
    }
}
