using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// <see cref="Epilogue"/> for the 512-bit packed conv tiles (bias, ReLU, residual; the weights are already dequantised),
/// without a branch per row or per store: a row's bias is read as <c>bias[j · step]</c> (step 0 over a single −0 when
/// there is none; x + (−0) = x for every x, −0 and NaN included) and ReLU is <c>max(floor, v)</c> with a floor of 0 or −∞.
/// That operand order returns v for NaN and keeps −0 against a 0 floor, as the other widths' select does, so every
/// result bit matches theirs. Why branch-free: these tiles have no ReadyToRun code on AVX-512 processors and are
/// JIT-compiled in a process's first prediction, and with the flag tests of <see cref="RowEpilogue"/> in its 24 inlined
/// stores the 8 × 48 tile took the JIT 15 ms to compile (24 accumulators live across every branch); with these, 4–5 ms.
/// </summary>
internal readonly ref struct ZmmEpilogue
{
    private static readonly float[] NegativeZero = [-0f];

    private readonly ref float _bias;
    private readonly nint _biasStep;
    private readonly ref float _negativeZero;
    private readonly Vector512<float> _floor;
    private readonly nint _residual;
    private readonly int _residualRows;

    /// <param name="bias">Per output channel, or empty.</param>
    /// <param name="relu">Whether ReLU follows.</param>
    /// <param name="residual">Elements from an output to its residual value (see <see cref="Epilogue.WithResidual"/>).</param>
    /// <param name="residualRows">Output channels with a residual (0: none).</param>
    public ZmmEpilogue(ReadOnlySpan<float> bias, bool relu, nint residual, int residualRows)
    {
        _negativeZero = ref MemoryMarshal.GetArrayDataReference(NegativeZero);
        _bias = ref bias.IsEmpty ? ref _negativeZero : ref MemoryMarshal.GetReference(bias);
        _biasStep = bias.IsEmpty ? 0 : 1;
        _floor = Vector512.Create(relu ? 0f : float.NegativeInfinity);
        _residual = residual;
        _residualRows = residualRows;
    }

    /// <summary>Whether any output channel has a residual: then a tile calls <see cref="AddResidual"/> or <see cref="Finish"/> first.</summary>
    public bool HasResidual => _residualRows > 0;

    /// <summary>Whether channels <paramref name="j"/> … <paramref name="j"/> + <paramref name="rows"/> − 1 all have a residual.</summary>
    public bool ResidualCovers(int j, int rows) => j + rows <= _residualRows;

    /// <summary>Channel <paramref name="j"/>'s bias as a vector (−0 when there is none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Bias(int j) => Vector512.Create(Unsafe.Add(ref _bias, j * _biasStep));

    /// <summary>
    /// For a tile whose channels all have a residual (<see cref="ResidualCovers"/>): <c>(v + bias[j]) + residual</c> for the
    /// 16 outputs at <c>y[offset]</c>, the order of <see cref="Epilogue.AddResidual(int, ref Vector256{float}, ref float, nuint)"/>.
    /// A tile adds every residual before its first store (the 4 KiB-aliasing note in <see cref="Epilogue"/>), then stores
    /// through <see cref="WithoutBias"/>. Returns the sum rather than updating a <c>ref</c>: an accumulator passed by
    /// reference became a stack slot, stored on every k of the tile's loop (2× slower).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> AddResidual(int j, Vector512<float> v, ref float y, nuint offset = 0) =>
        v + Bias(j) + Vector512.LoadUnsafe(ref Unsafe.Add(ref y, _residual), offset);

    /// <summary>This epilogue with the bias taken out (for storing values <see cref="AddResidual"/> already added it to).</summary>
    /// <remarks>
    /// No static read here (the −0 was referenced at construction): a static base lookup is a helper call, and one after a
    /// tile's loop made the JIT keep all 24 accumulators in stack slots, stored on every k (2× slower). Tiles construct
    /// their epilogue before the loop for the same reason.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ZmmEpilogue WithoutBias() => new(ref _negativeZero, _floor);

    /// <summary>Stores <c>act(v + bias[j])</c> for the 48 outputs of channel <paramref name="j"/> at <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store3(int j, Vector512<float> a, Vector512<float> b, Vector512<float> c, ref float y)
    {
        Vector512<float> bias = Bias(j);
        Avx512F.Max(_floor, a + bias).StoreUnsafe(ref y);
        Avx512F.Max(_floor, b + bias).StoreUnsafe(ref y, 16);
        Avx512F.Max(_floor, c + bias).StoreUnsafe(ref y, 32);
    }

    /// <summary>The 16-output form of <see cref="Store3"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store1(int j, Vector512<float> a, ref float y) => Avx512F.Max(_floor, a + Bias(j)).StoreUnsafe(ref y);

    /// <summary>
    /// The epilogue of a tile whose channels only partly have a residual (a channel-padded residual; rare), applied in
    /// place to the raw sums the tile stored: <paramref name="rows"/> channels from <paramref name="j"/>, rows
    /// <paramref name="p"/> floats apart, <paramref name="width"/> outputs each (a multiple of 16). Same operations and
    /// order as the inline path, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public void Finish(int j, int rows, ref float y, int p, int width)
    {
        Debug.Assert(width % 16 == 0, "whole vectors only");
        for (int r = 0; r < rows; r++)
        {
            Vector512<float> bias = Bias(j + r);
            bool residual = j + r < _residualRows;
            ref float row = ref Unsafe.Add(ref y, (nint)r * p);
            for (int o = 0; o < width; o += 16)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref row, (nuint)o) + bias;
                if (residual)
                {
                    v += Vector512.LoadUnsafe(ref Unsafe.Add(ref row, _residual), (nuint)o);
                }

                Avx512F.Max(_floor, v).StoreUnsafe(ref row, (nuint)o);
            }
        }
    }

    private ZmmEpilogue(ref float negativeZero, Vector512<float> floor)
    {
        _negativeZero = ref negativeZero;
        _bias = ref negativeZero;
        _biasStep = 0;
        _floor = floor;
    }
}
