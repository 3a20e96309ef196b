namespace ModelBuild.Graph.Inference;

/// <summary>ONNX Slice index arithmetic (clamping of starts and ends, negative steps).</summary>
internal static class SliceMath
{
    /// <summary>The effective start and element count along an axis of length <paramref name="dim"/>.</summary>
    public static (long Start, long Count) Range(long dim, long start, long end, long step)
    {
        if (step == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), "Slice step cannot be 0.");
        }

        if (start < 0)
        {
            start += dim;
        }

        if (end < 0)
        {
            end += dim;
        }

        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
            return (start, end > start ? (end - start + step - 1) / step : 0);
        }

        start = Math.Clamp(start, 0, dim - 1);
        end = Math.Clamp(end, -1, dim - 1);
        return (start, start > end ? (start - end + (-step) - 1) / -step : 0);
    }

    /// <summary>The selected indices, or null for a zero step.</summary>
    public static long[]? Indices(long dim, long start, long end, long step)
    {
        if (step == 0)
        {
            return null;
        }

        var (first, count) = Range(dim, start, end, step);
        var result = new long[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = first + (i * step);
        }

        return result;
    }
}
