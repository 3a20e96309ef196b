namespace ModelBuild.Runtime;

/// <summary>
/// Opt-in threads for Dense below the batched paths (1–3 input rows, or float32 weights below <see cref="DenseGemm"/>):
/// the output channels are cut into runs of whole 4-row weight blocks, one run per part, each computed by
/// <see cref="Kernels.DenseCore{TL}(SimdLevel, ReadOnlySpan{float}, WeightMatrix, ReadOnlySpan{float}, Span{float}, int, Activation, int, int)"/>
/// for its range, so every output is the dot product one thread computes (same bits). Such a layer streams its weights
/// once per call; with a fixed split each core keeps its share in its own cache.
/// </summary>
internal static unsafe class DenseGemvParallel
{
    [ThreadStatic]
    private static Job? t_job;

    /// <summary>Whether the call would reach the 4-row block loop (uncompressed float32 / int8 / int8a weights, vector level).</summary>
    public static bool Applies(SimdLevel level, WeightMatrix w, int rows) =>
        level != SimdLevel.Scalar && w.Direct is null && w.Sparse is null && w.Half is null
        && (rows < DenseBatch.MinRows || w.Format == WeightFormat.Float32);

    /// <summary>Runs the call on up to <paramref name="threads"/> threads; false (nothing done) when it is too small for two parts.</summary>
    public static bool Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int threads)
    {
        int blocks = w.Rows / 4;
        int parts = IntraOp.SplitParts(threads, 2.0 * rows * w.Rows * w.Cols, blocks);
        if (parts <= 1)
        {
            return false;
        }

        fixed (float* px = x, pb = bias, py = y)
        {
            var job = t_job ??= new Job();
            job.Set(level, w, rows, act, px, x.Length, pb, bias.Length, py, y.Length);
            IntraOp.Run(job, parts, threads);
            job.Set(level, null, 0, act, null, 0, null, 0, null, 0);
        }

        return true;
    }

    /// <summary>A split call's operands as pointers (pinned by <see cref="Run"/> for the call's duration).</summary>
    private sealed class Job : IntraOp.IWork
    {
        private SimdLevel _level;
        private WeightMatrix? _w;
        private int _rows, _xLength, _biasLength, _yLength;
        private Activation _act;
        private float* _x, _bias, _y;

        public void Set(SimdLevel level, WeightMatrix? w, int rows, Activation act, float* x, int xLength, float* bias, int biasLength, float* y, int yLength)
        {
            (_level, _w, _rows, _act, _xLength, _biasLength, _yLength) = (level, w, rows, act, xLength, biasLength, yLength);
            _x = x;
            _bias = bias;
            _y = y;
        }

        public void Run(int part, int parts)
        {
            WeightMatrix w = _w!;
            int blocks = w.Rows / 4, j0 = blocks * part / parts * 4, j1 = part == parts - 1 ? w.Rows : blocks * (part + 1) / parts * 4;
            var x = new ReadOnlySpan<float>(_x, _xLength);
            var bias = new ReadOnlySpan<float>(_bias, _biasLength);
            var y = new Span<float>(_y, _yLength);
            switch (w.Format)
            {
                case WeightFormat.Float32:
                    Kernels.DenseCore<Float32Loader>(_level, x, w, bias, y, _rows, _act, j0, j1);
                    break;
                case WeightFormat.Int8:
                    Kernels.DenseCore<Int8Loader>(_level, x, w, bias, y, _rows, _act, j0, j1);
                    break;
                default:
                    Kernels.DenseCore<Int8AsymLoader>(_level, x, w, bias, y, _rows, _act, j0, j1);
                    break;
            }
        }
    }
}
