namespace ModelBuild.Runtime;

/// <summary>
/// Threads for the memory-bound ops between convs over a batch (MaxPool/AveragePool and channel Concat): the batch is cut
/// into contiguous runs of images, one per <see cref="IntraOp"/> part, each run through the single-thread kernel. With
/// 2 threads at batch 64 these ran on the calling thread alone while the convs around them split the batch (squeezenet:
/// pool and concats ~0.7 ms of ~3.5 ms). Every output is computed as with one thread (pooling is per plane; a copy is a
/// copy), so results are bit-identical for every thread count. A batch of one stays on the calling thread.
/// </summary>
internal static class BatchParallel
{
    [ThreadStatic]
    private static PoolJob? t_pool;

    [ThreadStatic]
    private static ConcatJob? t_concat;

    /// <summary><see cref="Kernels.MaxPool2D(ReadOnlySpan{float}, Span{float}, in Pool2DShape, int)"/> / AveragePool2D (checked entry) split over <paramref name="threads"/>.</summary>
    public static unsafe void Pool2D(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch, bool max, bool countIncludePad, int threads)
    {
        // One compare or add per window tap.
        double work = (double)batch * s.C * s.OH * s.OW * s.KH * s.KW;
        int parts = IntraOp.Parts(threads, work, batch);
        if (parts <= 1)
        {
            Pool(x, y, s, batch, max, countIncludePad);
            return;
        }

        fixed (float* px = x, py = y)
        {
            var job = t_pool ??= new PoolJob();
            job.Set(s, batch, max, countIncludePad, px, x.Length, py, y.Length);
            IntraOp.Run(job, parts, threads);
            job.Set(s, 0, max, countIncludePad, null, 0, null, 0);
        }
    }

    /// <summary>
    /// Concat of byte tensors along an axis with <paramref name="outer"/> rows before it: output row o is input 0's row o
    /// (<paramref name="chunks"/>[0] bytes), then input 1's, …; the rows are shared out over <paramref name="threads"/>.
    /// </summary>
    /// <param name="inputs">Pinned pointers to the inputs' bytes, in order.</param>
    /// <param name="chunks">Bytes per row of each input.</param>
    /// <param name="y">Pinned output bytes, <c>outer · Σ chunks</c>.</param>
    /// <param name="outer">Rows: the product of the dims before the axis.</param>
    /// <param name="threads">The program's intra-op threads.</param>
    public static unsafe void Concat(ReadOnlySpan<nint> inputs, ReadOnlySpan<int> chunks, byte* y, int outer, int threads)
    {
        long row = 0;
        foreach (int chunk in chunks)
        {
            row += chunk;
        }

        // Half a "flop" per byte moved: a part is then at least 512 KB of copies, well above a hand-off's cost.
        int parts = IntraOp.Parts(threads, outer * (double)row / 2, outer);
        var job = t_concat ??= new ConcatJob();
        job.Set(inputs, chunks, y, outer, row);
        IntraOp.Run(job, parts, threads);
        job.Clear();
    }

    private static void Pool(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch, bool max, bool countIncludePad)
    {
        if (max)
        {
            Kernels.MaxPool2D(x, y, s, batch);
        }
        else
        {
            Kernels.AveragePool2D(x, y, s, batch, countIncludePad);
        }
    }

    /// <summary>A parallel pool's operands as pointers (fixed by <see cref="Pool2D"/> for the call's duration).</summary>
    private sealed unsafe class PoolJob : IntraOp.IWork
    {
        private Pool2DShape _s;
        private int _batch, _xLength, _yLength;
        private bool _max, _countIncludePad;
        private float* _x, _y;

        public void Set(in Pool2DShape s, int batch, bool max, bool countIncludePad, float* x, int xLength, float* y, int yLength)
        {
            (_s, _batch, _max, _countIncludePad, _xLength, _yLength) = (s, batch, max, countIncludePad, xLength, yLength);
            _x = x;
            _y = y;
        }

        public void Run(int part, int parts)
        {
            int n0 = (int)((long)_batch * part / parts), n1 = (int)((long)_batch * (part + 1) / parts);
            if (n1 <= n0)
            {
                return;
            }

            long inPer = (long)_s.C * _s.H * _s.W, outPer = (long)_s.C * _s.OH * _s.OW;
            var x = new ReadOnlySpan<float>(_x + (n0 * inPer), checked((int)((n1 - n0) * inPer)));
            var y = new Span<float>(_y + (n0 * outPer), checked((int)((n1 - n0) * outPer)));
            Pool(x, y, _s, n1 - n0, _max, _countIncludePad);
        }
    }

    /// <summary>A parallel concat's operands (pinned by the caller for the call's duration).</summary>
    private sealed unsafe class ConcatJob : IntraOp.IWork
    {
        private readonly nint[] _inputs = new nint[MaxInputs];
        private readonly int[] _chunks = new int[MaxInputs];
        private int _count, _outer;
        private long _row;
        private byte* _y;

        public const int MaxInputs = 4;

        public void Set(ReadOnlySpan<nint> inputs, ReadOnlySpan<int> chunks, byte* y, int outer, long row)
        {
            inputs.CopyTo(_inputs);
            chunks.CopyTo(_chunks);
            (_count, _outer, _row) = (inputs.Length, outer, row);
            _y = y;
        }

        public void Clear()
        {
            Array.Clear(_inputs);
            _y = null;
        }

        public void Run(int part, int parts)
        {
            int o0 = (int)((long)_outer * part / parts), o1 = (int)((long)_outer * (part + 1) / parts);
            for (int o = o0; o < o1; o++)
            {
                long offset = o * _row;
                for (int i = 0; i < _count; i++)
                {
                    int chunk = _chunks[i];
                    new ReadOnlySpan<byte>((byte*)_inputs[i] + ((long)o * chunk), chunk).CopyTo(new Span<byte>(_y + offset, chunk));
                    offset += chunk;
                }
            }
        }
    }

    /// <summary>Most Concat inputs <see cref="Concat"/> takes (the caller pins each one); more keep the op's own loop.</summary>
    public const int MaxConcatInputs = ConcatJob.MaxInputs;
}
