using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Dense over a batch (≥ <see cref="MinRows"/> input rows) with int8 weights: each block of 4 weight rows is
/// widened to floats once into a per-thread buffer, then every input row pair runs against those floats, so
/// the sign-extend and convert are paid once per weight per call instead of once per weight per row pair.
/// The buffer (4·K floats, 50 KB for K = 3136) is allocated on a thread's first batched call and reused.
/// On AVX-512 hardware input rows go four at a time through <see cref="Block4x4Zmm"/>.
/// </summary>
internal static partial class DenseBatch
{
    /// <summary>Below this many rows the int8 micro-kernels convert few enough times that decoding does not pay.</summary>
    public const int MinRows = 4;

    [ThreadStatic]
    private static float[]? t_rows;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run<TL>(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, Span<float> y, int rows, in Epilogue ep)
        where TL : struct, IWeightLoader
    {
        Span<float> s = stackalloc float[20];
        RunBody<TL>(level, x, w, y, rows, in ep, s);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody<TL>(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, Span<float> y, int rows, in Epilogue ep, Span<float> s)
        where TL : struct, IWeightLoader
    {
        int n = w.Rows, k = w.Cols;
        ref float f = ref MemoryMarshal.GetReference(ThreadScratch.Get(ref t_rows, 4 * k));
        ref byte f0 = ref Unsafe.As<float, byte>(ref f);
        ref byte f1 = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref f, k));
        ref byte f2 = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref f, 2 * k));
        ref byte f3 = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref f, 3 * k));
        ref float x0 = ref MemoryMarshal.GetReference(x);
        bool zmm = level == SimdLevel.Vector256 && Wide512.Enabled;
        bool zmmHead = DenseBlocks.ZmmHead(level, k, (long)rows * n * k);
        int j = 0;
        for (; j <= n - 4; j += 4)
        {
            for (int r = 0; r < 4; r++)
            {
                Decode<TL>(level, ref TL.Row(w, j + r), ref Unsafe.Add(ref f, r * k), k);
            }

            int row = 0;
            for (; zmm && row <= rows - 4; row += 4)
            {
                Block4x4Zmm(TL.Asymmetric, ref Unsafe.Add(ref x0, (nint)row * k), k, ref f, s);
                for (int r = 0; r < 4; r++)
                {
                    for (int i = 0; i < 4; i++)
                    {
                        y[((row + r) * n) + j + i] = ep.Apply(j + i, s[(4 * r) + i], s[16 + r]);
                    }
                }
            }

            for (; row <= rows - 2; row += 2)
            {
                ref float xa = ref Unsafe.Add(ref x0, (nint)row * k);
                DenseBlocks.Block4x2<Decoded<TL>>(level, ref xa, ref Unsafe.Add(ref xa, k), ref f0, ref f1, ref f2, ref f3, k, s);
                for (int i = 0; i < 4; i++)
                {
                    y[(row * n) + j + i] = ep.Apply(j + i, s[i], s[8]);
                    y[((row + 1) * n) + j + i] = ep.Apply(j + i, s[4 + i], s[9]);
                }
            }

            if (row < rows)
            {
                DenseBlocks.Block4x1<Decoded<TL>>(level, ref Unsafe.Add(ref x0, (nint)row * k), ref f0, ref f1, ref f2, ref f3, k, s, zmmHead);
                for (int i = 0; i < 4; i++)
                {
                    y[(row * n) + j + i] = ep.Apply(j + i, s[i], s[8]);
                }
            }
        }

        for (; j < n; j++)
        {
            ref byte wj = ref TL.Row(w, j);
            for (int row = 0; row < rows; row++)
            {
                float dot = DenseBlocks.Dot<TL>(level, ref Unsafe.Add(ref x0, (nint)row * k), ref wj, k, out float sumX);
                y[(row * n) + j] = ep.Apply(j, dot, sumX);
            }
        }
    }

    /// <summary>The stored values of one row as floats (no scale or zero point: the epilogue applies those).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Decode<TL>(SimdLevel level, ref byte row, ref float dst, int k)
        where TL : struct, IWeightLoader
    {
        DecodeBody<TL>(level, ref row, ref dst, k);
    }

    // Decode's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodeBody<TL>(SimdLevel level, ref byte row, ref float dst, int k)
        where TL : struct, IWeightLoader
    {
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            for (; i <= k - 8; i += 8)
            {
                TL.Load256(ref row, i).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        else if (level == SimdLevel.Vector128)
        {
            for (; i <= k - 4; i += 4)
            {
                TL.Load128(ref row, i).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < k; i++)
        {
            Unsafe.Add(ref dst, i) = TL.Get(ref row, i);
        }
    }

    /// <summary>Float loads over decoded rows, keeping <typeparamref name="TL"/>'s need for Σx (int8a).</summary>
    private readonly struct Decoded<TL> : IWeightLoader
        where TL : struct, IWeightLoader
    {
        public static bool Asymmetric => TL.Asymmetric;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Get(ref byte row, int k) => Float32Loader.Get(ref row, k);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load256(ref byte row, int k) => Float32Loader.Load256(ref row, k);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Load128(ref byte row, int k) => Float32Loader.Load128(ref row, k);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load512(ref byte row, int k) => Float32Loader.Load512(ref row, k);

        public static ref byte Row(WeightMatrix w, int r) => throw new NotSupportedException("Decoded rows are passed directly.");
    }
}
