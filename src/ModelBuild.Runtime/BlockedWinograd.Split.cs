using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

internal static partial class BlockedWinograd
{
    /// <summary>
    /// One image on up to <paramref name="threads"/> threads (opt-in intra-op threads at batch 1): each part stages and
    /// input-transforms the image into its own thread's buffers, then runs the α² GEMMs and the output transform for a
    /// run of whole GEMM panels (<see cref="Plan.Panel"/> output channels). The GEMM panels and the per-tile transforms are the ones
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

        // Each part's stage, V, M and padded bias, on the thread that runs it.
        [ThreadStatic]
        private static float[]? t_part;

        private Conv2DShape _s;
        private Plan _plan;
        private bool _relu;
        private int _panels, _xLength, _yLength, _biasLength;
        private float* _x, _u, _bias, _y;

        public static bool Run(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, Activation act, int threads)
        {
            int lanes = TW.Count, xi = TF.Alpha * TF.Alpha;
            var plan = new Plan(s, TF.M, xi, lanes, 1, GemmPanel<TV, TW>(s));
            int panels = plan.OCp / plan.Panel;
            int parts = IntraOp.SplitParts(threads, 2.0 * s.OC * s.OH * s.OW * s.C * 9, panels);
            if (parts <= 1 || plan.Rows < plan.TH)
            {
                return false;
            }

            ReadOnlySpan<float> u = w.PackedBlockedWinograd(TF.M, plan.Panel);
            fixed (float* px = x, pu = u, pb = bias, py = y)
            {
                var job = t_job ??= new Split<TF, TV, TW>();
                job._s = s;
                job._plan = plan;
                job._relu = act == Activation.Relu;
                (job._panels, job._xLength, job._yLength, job._biasLength) = (panels, x.Length, y.Length, bias.Length);
                job._x = px;
                job._u = pu;
                job._bias = pb;
                job._y = py;
                IntraOp.Run(job, parts, threads);
                job._x = job._u = job._bias = job._y = null;
            }

            return true;
        }

        /// <summary>
        /// Panels [panels·part/parts, panels·(part + 1)/parts): the whole image staged and input-transformed into this
        /// thread's own buffers, then the panels' α² GEMMs and their channel blocks' output transform. Every part
        /// repeating the input transform (a tenth of the work at 32 channels) costs less than sharing one V: V written on
        /// one core and read on the other moved every line between the cores on every call, and the split ran no faster
        /// than one thread.
        /// </summary>
        public void Run(int part, int parts)
        {
            int lanes = TW.Count, nr = _plan.Panel, xi = TF.Alpha * TF.Alpha, tiles = _plan.TH * _plan.TWc;
            int oc0 = _panels * part / parts * nr, oc1 = _panels * (part + 1) / parts * nr;
            if (oc1 <= oc0)
            {
                return;
            }

            int stageFloats = WholeLines(_plan.StageFloats), vFloats = xi * XiStride(tiles, _plan.Cp), mFloats = xi * XiStride(tiles, _plan.OCp);
            Span<float> buffer = ThreadScratch.Get(ref t_part, stageFloats + vFloats + mFloats + (_plan.OutBlocks * lanes));
            Span<float> stage = buffer[.._plan.StageFloats];
            Span<float> v = buffer.Slice(stageFloats, vFloats);
            Span<float> m = buffer.Slice(stageFloats + vFloats, mFloats);
            Span<float> paddedBias = buffer.Slice(stageFloats + vFloats + mFloats, _plan.OutBlocks * lanes);
            paddedBias.Clear();
            new ReadOnlySpan<float>(_bias, _biasLength).CopyTo(paddedBias);
            Stage<TV, TW>(new ReadOnlySpan<float>(_x, _xLength), stage, _s, _plan);
            InputTransform<TF, TV, TW>(stage, v, _plan, 1, 0, _plan.TH, tiles);

            int perXi = _plan.OCp * _s.C;
            ref float vr = ref MemoryMarshal.GetReference(v);
            ref float mr = ref MemoryMarshal.GetReference(m);
            ref float u = ref *_u;
            for (int k = 0; k < xi; k++)
            {
                PanelGemm<TV, TW>(_plan.Panel, ref Unsafe.Add(ref vr, k * XiStride(tiles, _plan.Cp)), tiles, _plan.Cp, _s.C,
                    ref Unsafe.Add(ref u, (nint)k * perXi), _plan.OCp,
                    ref Unsafe.Add(ref mr, k * XiStride(tiles, _plan.OCp)), oc0, oc1);
            }

            OutputTransform<TF, TV, TW>(m, new Span<float>(_y, _yLength), _s.OC * _s.OH * _s.OW, paddedBias,
                _relu, _s, _plan, 1, 0, _plan.TH, tiles, oc0 / lanes, Math.Min(_plan.OutBlocks, oc1 / lanes));
        }
    }
}
