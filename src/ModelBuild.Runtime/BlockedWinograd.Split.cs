using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

internal static partial class BlockedWinograd
{
    /// <summary>
    /// One image on up to <paramref name="threads"/> threads (opt-in intra-op threads at batch 1): the calling thread
    /// stages the image and runs the input transform once, then each part runs the α² GEMMs and the output transform for
    /// a run of whole GEMM panels (2 vectors of output channels). The GEMM panels and the per-tile transforms are the ones
    /// <see cref="Run(SimdLevel, ReadOnlySpan{float}, WeightMatrix, ReadOnlySpan{float}, Span{float}, in Conv2DShape, int, Activation)"/>
    /// runs, so the bits are one thread's. False (nothing done) when the image takes several chunks or the work is too
    /// small for two parts (<see cref="IntraOp.SplitParts"/>).
    /// </summary>
    public static bool RunSplit(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, Activation act, int threads)
    {
        bool f2 = TileSize(s) == 2;
        if (level == SimdLevel.Vector256)
        {
            return f2 ? Split<WinogradF2, Vector256<float>, Vector256Width>.Run(x, w, bias, y, s, act, threads)
                : Split<WinogradF4, Vector256<float>, Vector256Width>.Run(x, w, bias, y, s, act, threads);
        }

        return f2 ? Split<WinogradF2, Vector128<float>, Vector128Width>.Run(x, w, bias, y, s, act, threads)
            : Split<WinogradF4, Vector128<float>, Vector128Width>.Run(x, w, bias, y, s, act, threads);
    }

    /// <summary>The split call for one tile size and vector width; its job holds the operands as pointers while it runs.</summary>
    private sealed unsafe class Split<TF, TV, TW> : IntraOp.IWork
        where TF : struct, IWinogradTile
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        [ThreadStatic]
        private static Split<TF, TV, TW>? t_job;

        private Conv2DShape _s;
        private Plan _plan;
        private bool _relu;
        private int _panels, _yLength, _mLength;
        private float* _v, _m, _u, _bias, _y;

        public static bool Run(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, Activation act, int threads)
        {
            int lanes = TW.Count, xi = TF.Alpha * TF.Alpha;
            var plan = new Plan(s, TF.M, xi, lanes, 1);
            int panels = plan.OCp / (2 * lanes);
            int parts = IntraOp.SplitParts(threads, 2.0 * s.OC * s.OH * s.OW * s.C * 9, panels);
            if (parts <= 1 || plan.Rows < plan.TH)
            {
                return false;
            }

            int tiles = plan.TH * plan.TWc, stageFloats = plan.StageFloats, vFloats = xi * XiStride(tiles, plan.Cp), mFloats = xi * XiStride(tiles, plan.OCp);
            int need = stageFloats + vFloats + mFloats + (plan.OutBlocks * lanes);
            float[] buffer = t_buffer is { } b && b.Length >= need ? b : (t_buffer = new float[need]);
            Span<float> stage = buffer.AsSpan(0, stageFloats);
            Span<float> v = buffer.AsSpan(stageFloats, vFloats);
            Span<float> paddedBias = buffer.AsSpan(stageFloats + vFloats + mFloats, plan.OutBlocks * lanes);
            paddedBias.Clear();
            bias.CopyTo(paddedBias);
            Stage<TV, TW>(x, stage, s, plan);
            InputTransform<TF, TV, TW>(stage, v, plan, 1, 0, plan.TH, tiles);
            float[] u = w.PackedBlockedWinograd(TF.M, 2 * lanes);
            fixed (float* pb = buffer, pu = u, py = y)
            {
                var job = t_job ??= new Split<TF, TV, TW>();
                job._s = s;
                job._plan = plan;
                job._relu = act == Activation.Relu;
                (job._panels, job._yLength, job._mLength) = (panels, y.Length, mFloats);
                job._v = pb + stageFloats;
                job._m = pb + stageFloats + vFloats;
                job._bias = pb + stageFloats + vFloats + mFloats;
                job._u = pu;
                job._y = py;
                IntraOp.Run(job, parts, threads);
                job._v = job._m = job._u = job._bias = job._y = null;
            }

            return true;
        }

        /// <summary>Panels [panels·part/parts, panels·(part + 1)/parts): their α² GEMMs, then their channel blocks' output transform.</summary>
        public void Run(int part, int parts)
        {
            int lanes = TW.Count, nr = 2 * lanes, xi = TF.Alpha * TF.Alpha, tiles = _plan.TH * _plan.TWc;
            int oc0 = _panels * part / parts * nr, oc1 = _panels * (part + 1) / parts * nr;
            if (oc1 <= oc0)
            {
                return;
            }

            int perXi = _plan.OCp * _s.C;
            ref float v = ref *_v;
            ref float m = ref *_m;
            ref float u = ref *_u;
            for (int k = 0; k < xi; k++)
            {
                Gemm<TV, TW>(ref Unsafe.Add(ref v, k * XiStride(tiles, _plan.Cp)), tiles, _plan.Cp, _s.C,
                    ref Unsafe.Add(ref u, (nint)k * perXi), _plan.OCp,
                    ref Unsafe.Add(ref m, k * XiStride(tiles, _plan.OCp)), oc0, oc1);
            }

            OutputTransform<TF, TV, TW>(new ReadOnlySpan<float>(_m, _mLength), new Span<float>(_y, _yLength), new ReadOnlySpan<float>(_bias, _plan.OutBlocks * lanes),
                _relu, _s, _plan, 1, 0, _plan.TH, tiles, oc0 / lanes, Math.Min(_plan.OutBlocks, oc1 / lanes));
        }
    }
}
