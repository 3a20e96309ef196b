namespace ModelBuild.Evaluation;

/// <summary>Accuracy and fidelity measures over model outputs. Sums are accumulated in double.</summary>
public static class Metrics
{
    /// <summary>The index of the largest value (the first one on ties; NaN never wins).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty)
        {
            throw new ArgumentException("The row is empty.", nameof(row));
        }

        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            // "!(best >= value)" would let NaN win; a plain greater-than keeps the first finite maximum.
            if (row[i] > row[best] || float.IsNaN(row[best]))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>
    /// Top-1 accuracy as a fraction in [0, 1]: rows of <paramref name="classes"/> outputs whose argmax equals the label.
    /// </summary>
    public static double Top1Accuracy(float[] outputs, int classes, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(labels);
        int rows = RowCount(outputs.Length, classes, nameof(outputs));
        if (rows != labels.Length)
        {
            throw new ArgumentException($"{rows} output rows but {labels.Length} labels.", nameof(labels));
        }

        int correct = 0;
        for (int r = 0; r < rows; r++)
        {
            if (ArgMax(outputs.AsSpan(r * classes, classes)) == labels[r])
            {
                correct++;
            }
        }

        return rows == 0 ? 0 : (double)correct / rows;
    }

    /// <summary>The fraction of rows where <paramref name="a"/> and <paramref name="b"/> have the same argmax.</summary>
    public static double Agreement(float[] a, float[] b, int classes)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        SameLength(a, b);
        int rows = RowCount(a.Length, classes, nameof(a));
        int same = 0;
        for (int r = 0; r < rows; r++)
        {
            if (ArgMax(a.AsSpan(r * classes, classes)) == ArgMax(b.AsSpan(r * classes, classes)))
            {
                same++;
            }
        }

        return rows == 0 ? 0 : (double)same / rows;
    }

    /// <summary>The largest |a[i] − b[i]|.</summary>
    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        SameLength(a, b);
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        }

        return max;
    }

    /// <summary>The mean of |a[i] − b[i]| (0 for empty inputs).</summary>
    public static double MeanAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        SameLength(a, b);
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs((double)a[i] - b[i]);
        }

        return a.Length == 0 ? 0 : sum / a.Length;
    }

    /// <summary>
    /// Signal-to-quantization-noise ratio in dB: 10·log10(Σ reference² / Σ (reference − test)²).
    /// Identical inputs give +∞.
    /// </summary>
    public static double Sqnr(ReadOnlySpan<float> reference, ReadOnlySpan<float> test)
    {
        SameLength(reference, test);
        double signal = 0, noise = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double r = reference[i];
            double d = r - test[i];
            signal += r * r;
            noise += d * d;
        }

        return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
    }

    private static int RowCount(int length, int classes, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (length % classes != 0)
        {
            throw new ArgumentException($"Length {length} is not a multiple of {classes} classes.", name);
        }

        return length / classes;
    }

    private static void SameLength(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Lengths differ: {a.Length} and {b.Length}.");
        }
    }

    /// <summary>
    /// Mean cosine similarity of corresponding rows of <paramref name="width"/> values (one output vector per sample);
    /// two zero rows count as identical.
    /// </summary>
    public static double MeanCosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width)
    {
        double sum = 0;
        var rows = a.Length / width;
        for (var r = 0; r < rows; r++)
        {
            double dot = 0, na = 0, nb = 0;
            for (var i = r * width; i < (r + 1) * width; i++)
            {
                dot += (double)a[i] * b[i];
                na += (double)a[i] * a[i];
                nb += (double)b[i] * b[i];
            }

            sum += na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.Sqrt(na * nb);
        }

        return sum / Math.Max(1, rows);
    }
}
