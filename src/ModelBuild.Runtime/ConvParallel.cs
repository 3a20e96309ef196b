using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime;

/// <summary>
/// Opt-in threads for Conv over a batch: the batch is cut into contiguous runs of images, one per part, each
/// run through the single-thread kernel with its own scratch. Cuts fall on <see cref="ConvBatch"/>'s panel groups,
/// so every image is computed by the same panel and tiles as with one thread (bit-identical results). A batch of one
/// image stays on the calling thread.
/// </summary>
internal static class ConvParallel
{
    [ThreadStatic]
    private static float[]? t_scratch;

    [ThreadStatic]
    private static Job? t_job;

    public static unsafe void Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, int batch, Activation act, int threads)
    {
        int group = ConvBatch.Applies(s, Kernels.IsPointwise(s)) ? ConvBatch.ImagesPerPanel(s) : 1;
        int groups = (batch + group - 1) / group;
        double flops = 2.0 * batch * s.OC * s.OH * s.OW * (s.C / s.Group) * s.KH * s.KW;
        int parts = IntraOp.Parts(threads, flops, groups);
        fixed (float* px = x, pb = bias, py = y)
        {
            var job = t_job ??= new Job();
            job.Set(level, w, s, batch, group, act, px, pb, bias.Length, py);
            IntraOp.Run(job, parts, threads);
            job.Set(level, null, s, 0, 0, act, null, null, 0, null);
        }
    }

    /// <summary>A parallel call's operands as pointers (fixed by <see cref="Run"/> for the call's duration).</summary>
    private sealed unsafe class Job : IntraOp.IWork
    {
        private SimdLevel _level;
        private WeightMatrix? _w;
        private Conv2DShape _s;
        private int _batch, _group, _biasLength;
        private Activation _act;
        private float* _x, _bias, _y;

        public void Set(SimdLevel level, WeightMatrix? w, in Conv2DShape s, int batch, int group, Activation act, float* x, float* bias, int biasLength, float* y)
        {
            _level = level;
            _w = w;
            _s = s;
            _batch = batch;
            _group = group;
            _act = act;
            _x = x;
            _bias = bias;
            _biasLength = biasLength;
            _y = y;
        }

        public void Run(int part, int parts)
        {
            int groups = (_batch + _group - 1) / _group;
            int n0 = Math.Min(_batch, groups * part / parts * _group), n1 = Math.Min(_batch, groups * (part + 1) / parts * _group);
            if (n1 <= n0)
            {
                return;
            }

            long inPer = (long)_s.C * _s.H * _s.W, outPer = (long)_s.OC * _s.OH * _s.OW;
            int scratchFloats = Kernels.Conv2DScratch(_s);
            Span<float> scratch = ThreadScratch.Get(ref t_scratch, scratchFloats);
            var x = new ReadOnlySpan<float>(_x + (n0 * inPer), checked((int)((n1 - n0) * inPer)));
            var y = new Span<float>(_y + (n0 * outPer), checked((int)((n1 - n0) * outPer)));
            var bias = new ReadOnlySpan<float>(_bias, _biasLength);
            Kernels.Conv2D(_level, x, _w!, bias, y, scratch, _s, n1 - n0, _act, batched: true);
        }
    }
}
