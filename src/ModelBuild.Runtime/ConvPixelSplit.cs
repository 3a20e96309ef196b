using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Opt-in threads for one image's im2col conv (batch 1, group 1, AVX2): its output pixels are cut into runs, one per
/// part, and each part fills the im2col columns of its own pixels only (a split by channels repeats the whole fill in
/// every part: 1.2–1.6× the one-thread time in total for the shared models' im2col convs, `quick split-layers`).
/// <para>
/// Bits: one thread runs <see cref="Im2Col.Chunks"/>' panels, each through <see cref="ConvGemm.RunPacked"/>, whose 24-wide
/// tiles start at the panel's first pixel and whose last tile (24, 16 or 8 wide, 8-wide ones with two accumulators per
/// channel) ends at its last pixel, or whose last 1–3 pixels go one by one (<see cref="ConvGemm.PixelTail"/>). Cuts fall inside a panel only at multiples of 24 pixels from its start, with at least
/// 24 pixels on both sides, so every pixel lands in a tile of the same width at the same place as with one thread.
/// </para>
/// </summary>
internal static unsafe class ConvPixelSplit
{
    /// <summary>The tile width whole tiles take (<see cref="ConvGemm.RunPacked"/>'s 256-bit path).</summary>
    private const int Tile = 24;

    [ThreadStatic]
    private static float[]? t_scratch;

    [ThreadStatic]
    private static Job? t_job;

    /// <summary>
    /// Whether <paramref name="s"/> at <paramref name="level"/> takes this split (else the channel split). A part's GEMM
    /// writes a buffer that is then copied into y (OC floats per pixel), so many channels over a short K favour the
    /// channel split: parts' total / one thread (`quick split-layers`, pixels / channels): mnist-8's 1 → 8 5×5 1.19 /
    /// 1.58, 8 → 16 5×5 1.33 / 1.57, squeezenet's 3 → 64 3×3/2 1.09 / 1.33, but mnist_cnn_fc128's 1 → 32 3×3 1.32 / 1.20.
    /// </summary>
    public static bool Applies(SimdLevel level, in Conv2DShape s) =>
        level == SimdLevel.Vector256 && !Wide512.Enabled && s.Group == 1 && !Kernels.IsPointwise(s) && !PhaseConv.Applies(level, s)
        && s.OH * s.OW >= 2 * Tile && s.OC <= 3 * s.C * s.KH * s.KW;

    /// <summary>Runs the conv on up to <paramref name="parts"/> parts; false (nothing done) when no cut leaves two parts.</summary>
    public static bool Run(SimdLevel level, ReadOnlySpan<float> x, ReadOnlySpan<float> packed, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, Activation act, int parts, int threads)
    {
        int k = s.C * s.KH * s.KW, p = s.OH * s.OW, panel = Im2Col.RowsPerPanel(s, k) * s.OW;
        int cut = Cut(p, panel, p / 2);
        if (parts != 2 || cut <= 0 || cut >= p)
        {
            return false; // 2 threads only (this machine's case); more would need more cuts
        }

        fixed (float* px = x, pw = packed, pb = bias, py = y)
        {
            var job = t_job ??= new Job();
            job.Set(level, s, act, cut, px, x.Length, pw, pb, bias.Length, py);
            IntraOp.Run(job, 2, threads);
            job.Set(level, s, act, 0, null, 0, null, null, 0, null);
        }

        return true;
    }

    /// <summary>The allowed cut nearest <paramref name="target"/>: a panel boundary, or 24·i pixels into a panel with ≥ 24 left after it.</summary>
    private static int Cut(int p, int panel, int target)
    {
        int start = target / panel * panel, end = Math.Min(p, start + panel);
        int at = start + ((target - start + (Tile / 2)) / Tile * Tile);
        if (at - start >= Tile && end - at >= Tile)
        {
            return at;
        }

        return target - start <= end - target ? start : end;
    }

    /// <summary>A split call's operands as pointers (pinned by <see cref="Run"/> for the call's duration).</summary>
    private sealed class Job : IntraOp.IWork
    {
        private SimdLevel _level;
        private Conv2DShape _s;
        private Activation _act;
        private int _cut, _xLength, _biasLength;
        private float* _x, _packed, _bias, _y;

        public void Set(SimdLevel level, in Conv2DShape s, Activation act, int cut, float* x, int xLength, float* packed, float* bias, int biasLength, float* y)
        {
            (_level, _s, _act, _cut, _xLength, _biasLength) = (level, s, act, cut, xLength, biasLength);
            _x = x;
            _packed = packed;
            _bias = bias;
            _y = y;
        }

        /// <summary>Pixels [0, cut) or [cut, OH·OW): per panel they overlap, the covering rows' im2col, the segment's columns, the GEMM, the copy into y.</summary>
        public void Run(int part, int parts)
        {
            int k = _s.C * _s.KH * _s.KW, p = _s.OH * _s.OW, rows = Im2Col.RowsPerPanel(_s, k), panel = rows * _s.OW;
            int a = part == 0 ? 0 : _cut, b = part == 0 ? _cut : p;
            var x = new ReadOnlySpan<float>(_x, _xLength);
            var ep = new Epilogue(new ReadOnlySpan<float>(_bias, _biasLength), _act);
            int coverFloats = k * (rows + 1) * _s.OW;
            Span<float> buffer = Scratch(coverFloats + ((k + _s.OC) * panel));
            for (int ps = a / panel * panel; ps < b; ps += panel)
            {
                int s0 = Math.Max(a, ps), s1 = Math.Min(b, Math.Min(p, ps + panel)), n = s1 - s0;
                int oh0 = s0 / _s.OW, oh1 = (s1 + _s.OW - 1) / _s.OW, covered = (oh1 - oh0) * _s.OW, skip = s0 - (oh0 * _s.OW);
                Span<float> cover = buffer[..(k * covered)];
                Im2Col.Fill(_level, x, cover, _s, _s.C, oh0, oh1);
                Span<float> col = cover;
                if (n != covered)
                {
                    col = buffer.Slice(coverFloats, k * n);
                    for (int i = 0; i < k; i++)
                    {
                        cover.Slice((i * covered) + skip, n).CopyTo(col.Slice(i * n, n));
                    }
                }

                Span<float> output = buffer.Slice(coverFloats + (k * panel), _s.OC * n);
                ConvGemm.RunPacked(_level, ref Unsafe.AsRef<float>(_packed), _s.OC, ref MemoryMarshal.GetReference(col), k, n, ref MemoryMarshal.GetReference(output), 0, ep);
                for (int j = 0; j < _s.OC; j++)
                {
                    output.Slice(j * n, n).CopyTo(new Span<float>(_y + ((long)j * p) + s0, n));
                }
            }
        }

        private static Span<float> Scratch(int floats) => ThreadScratch.Get(ref t_scratch, floats);
    }
}
