namespace ModelBuild.Runtime;

/// <summary>
/// Per-thread scratch memory so that <c>Predict</c> allocates nothing after the first call on a thread.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public static class BufferArena
{
    // One array per thread: predictors on different threads never share activations, and a thread runs
    // one Predict at a time, so no locking is needed.
    [ThreadStatic]
    private static float[]? t_buffer;

    /// <summary>Returns a span of exactly <paramref name="floats"/> floats of this thread's arena.</summary>
    /// <param name="floats">The number of floats wanted (≥ 0).</param>
    /// <returns>
    /// The arena's first <paramref name="floats"/> floats. The contents are whatever the previous user left;
    /// the span is valid only until the next <see cref="Rent"/> on the same thread (which may grow and
    /// replace the array), so generated code rents once per <c>Predict</c> call and slices that span.
    /// </returns>
    public static Span<float> Rent(int floats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(floats);
        float[]? buffer = t_buffer;
        if (buffer is null || buffer.Length < floats)
        {
            // Grow geometrically so a thread that sees slowly increasing batches reallocates O(log n) times.
            int size = buffer is null ? floats : (int)Math.Min(Array.MaxLength, Math.Max(floats, 2L * buffer.Length));
            buffer = new float[size];
            t_buffer = buffer;
        }

        return buffer.AsSpan(0, floats);
    }
}
