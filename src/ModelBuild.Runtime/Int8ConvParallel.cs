namespace ModelBuild.Runtime;

/// <summary>
/// Opt-in threads for <see cref="Int8Conv"/>: a batch is cut into runs of samples, each run quantised and convolved by
/// one part with its own scratch; a single sample is quantised once by the calling thread and its (group, block of
/// output channels) pairs are cut into runs, each part with its own int32 sums. Every output is computed by the same
/// tile and epilogue as with one thread, so the results are bit-identical.
/// </summary>
internal static unsafe class Int8ConvParallel
{
    [ThreadStatic]
    private static byte[]? t_scratch;

    [ThreadStatic]
    private static Job? t_job;

    /// <summary>Runs the call on up to <paramref name="threads"/> threads; false (nothing done) when it is too small to split.</summary>
    public static bool Run(Int8Path path, ReadOnlySpan<float> x, int batch, in Conv2DShape s, float scale, int zeroPoint, WeightMatrix w,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int residualChannels, Activation act, Span<float> y, Span<byte> scratch, int threads)
    {
        int units = s.Group * Int8ConvWeights.Blocks(s.OC / s.Group);
        double flops = 2.0 * batch * s.OC * s.OH * s.OW * (s.C / s.Group) * s.KH * s.KW;
        int parts = IntraOp.Parts(threads, flops, batch > 1 ? batch : units);
        if (parts <= 1)
        {
            return false;
        }

        fixed (float* px = x, pb = bias, pr = residual, py = y)
        fixed (byte* ps = scratch)
        {
            var job = t_job ??= new Job();
            job.Set(path, s, batch, scale, zeroPoint, w, act, residualChannels, px, x.Length, pb, bias.Length, pr, residual.Length, py, y.Length);
            if (batch == 1)
            {
                // One image for every part, filled here in the caller's scratch; each part brings its own sums.
                var ts = Int8Conv.TileShape(path, s, out bool taps);
                var image = new Int8ConvImage(ts, Int8Conv.LanesOf(path));
                Int8Conv.Split(image, ts, scratch, out var cells, out _, out _, out var codes);
                Int8Conv.Fill(path, image, taps, x, s, scale, zeroPoint, cells, codes);
                job.Shared(ps, scratch.Length, units);
            }

            IntraOp.Run(job, parts, threads);
            job.Set(path, s, 0, 0, 0, null, act, 0, null, 0, null, 0, null, 0, null, 0);
        }

        return true;
    }

    private static Span<byte> OwnScratch(in Conv2DShape s)
    {
        int bytes = Int8Conv.ScratchBytes(s);
        return ThreadScratch.Get(ref t_scratch, bytes);
    }

    /// <summary>A parallel call's operands as pointers (fixed by <see cref="Run"/> for the call's duration).</summary>
    private sealed class Job : IntraOp.IWork
    {
        private Int8Path _path;
        private Conv2DShape _s;
        private int _batch, _zeroPoint, _residualChannels, _xLength, _biasLength, _residualLength, _yLength, _sharedLength, _units;
        private float _scale;
        private WeightMatrix? _w;
        private Activation _act;
        private float* _x, _bias, _residual, _y;
        private byte* _shared;

        public void Set(Int8Path path, in Conv2DShape s, int batch, float scale, int zeroPoint, WeightMatrix? w, Activation act, int residualChannels,
            float* x, int xLength, float* bias, int biasLength, float* residual, int residualLength, float* y, int yLength)
        {
            (_path, _s, _batch, _scale, _zeroPoint, _w, _act, _residualChannels) = (path, s, batch, scale, zeroPoint, w, act, residualChannels);
            (_xLength, _biasLength, _residualLength, _yLength) = (xLength, biasLength, residualLength, yLength);
            _x = x;
            _bias = bias;
            _residual = residual;
            _y = y;
            _shared = null;
            (_sharedLength, _units) = (0, 0);
        }

        /// <summary>Batch 1: the caller's scratch, whose image is filled, and the number of (group, block) pairs to share out.</summary>
        public void Shared(byte* scratch, int length, int units)
        {
            _shared = scratch;
            (_sharedLength, _units) = (length, units);
        }

        public void Run(int part, int parts)
        {
            var bias = new ReadOnlySpan<float>(_bias, _biasLength);
            var residual = new ReadOnlySpan<float>(_residual, _residualLength);
            var y = new Span<float>(_y, _yLength);
            if (_shared is null)
            {
                int n0 = _batch * part / parts, n1 = _batch * (part + 1) / parts;
                int inPer = _s.C * _s.H * _s.W, outPlane = _s.OH * _s.OW, outPer = _s.OC * outPlane, resPer = _residualChannels * outPlane;
                Int8Conv.Samples(_path, new ReadOnlySpan<float>(_x, _xLength).Slice(n0 * inPer, (n1 - n0) * inPer), n1 - n0, _s, _scale, _zeroPoint, _w!, bias,
                    _residualChannels == 0 ? default : residual.Slice(n0 * resPer, (n1 - n0) * resPer), _residualChannels, _act,
                    y.Slice(n0 * outPer, (n1 - n0) * outPer), OwnScratch(_s));
                return;
            }

            int first = _units * part / parts, last = _units * (part + 1) / parts;
            var ts = Int8Conv.TileShape(_path, _s, out _);
            var image = new Int8ConvImage(ts, Int8Conv.LanesOf(_path));
            Int8Conv.Split(image, ts, new Span<byte>(_shared, _sharedLength), out var cells, out _, out var offsets, out _, filled: true);
            Int8Conv.Split(image, ts, OwnScratch(_s), out _, out var sums, out _, out _, filled: true);
            Int8Conv.Blocks(_path, image, cells, offsets, sums, ts, _scale, _zeroPoint, _w!, bias, residual, _residualChannels, _act, y, first, last);
        }
    }
}
