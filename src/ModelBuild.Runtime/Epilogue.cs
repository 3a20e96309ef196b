using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// What happens to a raw dot product Σx·q on its way out: dequantise with the row's scale (and zero point),
/// add the bias, apply the activation. Applied once per output, so the inner loops stay pure FMAs.
/// </summary>
internal readonly ref struct Epilogue
{
    private readonly ReadOnlySpan<float> _scales;
    private readonly ReadOnlySpan<int> _zeroPoints;
    private readonly ReadOnlySpan<float> _bias;
    private readonly bool _relu;

    // Residual (a fused Add): for output channel j < _residualRows the value at element offset _residual from the output
    // is added before the activation. Outputs and residuals are pinned for the whole call (Kernels.Conv2D), so an offset
    // between two arrays stays valid; channels from _residualRows on add nothing (a channel-padded residual).
    private readonly nint _residual;
    private readonly int _residualRows;

    /// <summary>For dot products over <paramref name="w"/>'s stored values (scales and zero points still to apply).</summary>
    public Epilogue(WeightMatrix w, ReadOnlySpan<float> bias, Activation act)
        : this(w.Scales, w.ZeroPoints, bias, act)
    {
    }

    /// <summary>For dot products over already dequantised weights: only bias and activation are left.</summary>
    public Epilogue(ReadOnlySpan<float> bias, Activation act)
        : this([], [], bias, act)
    {
    }

    private Epilogue(ReadOnlySpan<float> scales, ReadOnlySpan<int> zeroPoints, ReadOnlySpan<float> bias, Activation act)
        : this(scales, zeroPoints, bias, act == Activation.Relu, 0, 0)
    {
    }

    private Epilogue(ReadOnlySpan<float> scales, ReadOnlySpan<int> zeroPoints, ReadOnlySpan<float> bias, bool relu, nint residual, int residualRows)
    {
        _scales = scales;
        _zeroPoints = zeroPoints;
        _bias = bias;
        _relu = relu;
        _residual = residual;
        _residualRows = residualRows;
    }

    /// <summary>
    /// This epilogue with a residual added to the first <paramref name="rows"/> output channels before the activation:
    /// <c>act(dot + bias + y[at + offset])</c> for the output at <c>y[at]</c>. Only for outputs written through
    /// <see cref="Store(int, float, ref float)"/> and its vector forms, with outputs and residual pinned.
    /// </summary>
    /// <param name="offset">Elements from an output to its residual value.</param>
    /// <param name="rows">Output channels with a residual (the others get none).</param>
    /// <exception cref="InvalidOperationException">The epilogue still has scales or zero points to apply (only packed, dequantised weights take a residual).</exception>
    public Epilogue WithResidual(nint offset, int rows) =>
        _scales.IsEmpty && _zeroPoints.IsEmpty ? new(_scales, _zeroPoints, _bias, _relu, offset, rows) : throw new InvalidOperationException("A residual needs dequantised (packed) weights.");

    /// <param name="j">The weight row (output channel).</param>
    /// <param name="dot">Σ_k x[k]·q[j,k] (or ·w[j,k] for float32).</param>
    /// <param name="sumX">Σ_k x[k]; used only for asymmetric int8, where Σx·(q−zp) = Σx·q − zp·Σx.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(int j, float dot, float sumX)
    {
        float v = dot;
        if (!_zeroPoints.IsEmpty)
        {
            v -= _zeroPoints[j] * sumX;
        }

        if (!_scales.IsEmpty)
        {
            v *= _scales[j];
        }

        if (!_bias.IsEmpty)
        {
            v += _bias[j];
        }

        return _relu ? Simd.Relu(v) : v;
    }


    /// <summary>The vector form of <see cref="Apply(int, float, float)"/> for 8 outputs of one row (conv: 8 pixels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(int j, Vector256<float> dot, Vector256<float> sumX)
    {
        Vector256<float> v = dot;
        if (!_zeroPoints.IsEmpty)
        {
            v -= sumX * _zeroPoints[j];
        }

        if (!_scales.IsEmpty)
        {
            v *= _scales[j];
        }

        if (!_bias.IsEmpty)
        {
            v += Vector256.Create(_bias[j]);
        }

        return _relu ? Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v) : v;
    }

    /// <summary>
    /// <see cref="Apply(int, float, float)"/> for the 4 channels j … j + 3 of one row (one Σx): the same operations in the
    /// same order per channel, so the same bits. Needs j + 3 &lt; the channel count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> ApplyChannels4(int j, Vector128<float> dot, float sumX)
    {
        Vector128<float> v = dot;
        if (!_zeroPoints.IsEmpty)
        {
            v -= Vector128.ConvertToSingle(Vector128.Create(_zeroPoints.Slice(j, 4))) * sumX;
        }

        if (!_scales.IsEmpty)
        {
            v *= Vector128.Create(_scales.Slice(j, 4));
        }

        if (!_bias.IsEmpty)
        {
            v += Vector128.Create(_bias.Slice(j, 4));
        }

        if (!_relu)
        {
            return v;
        }

        return Simd.Relu(v);
    }

    /// <summary>The vector form of <see cref="Apply(int, float, float)"/> for 4 outputs of one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Apply(int j, Vector128<float> dot, Vector128<float> sumX)
    {
        Vector128<float> v = dot;
        if (!_zeroPoints.IsEmpty)
        {
            v -= sumX * _zeroPoints[j];
        }

        if (!_scales.IsEmpty)
        {
            v *= _scales[j];
        }

        if (!_bias.IsEmpty)
        {
            v += Vector128.Create(_bias[j]);
        }

        return _relu ? Vector128.ConditionalSelect(Vector128.LessThan(v, Vector128<float>.Zero), Vector128<float>.Zero, v) : v;
    }

    /// <summary>Writes <c>Apply(j, dot, 0)</c> to <paramref name="y"/>, with the residual when there is one (then only bias and activation apply: packed weights).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int j, float dot, ref float y)
    {
        if (j >= _residualRows)
        {
            y = Apply(j, dot, 0);
            return;
        }

        // Bias first, then the residual, then the activation: the order (and so the rounding) of Conv → Add → Relu.
        float v = dot;
        if (!_bias.IsEmpty)
        {
            v += _bias[j];
        }

        v += Unsafe.Add(ref y, _residual);
        y = _relu ? Simd.Relu(v) : v;
    }

    /// <summary>
    /// Stores the outputs of the 8 consecutive channels <paramref name="j"/>…<paramref name="j"/> + 7 at one pixel: channel
    /// j + c's at <c>y[c·stride]</c>, each as <see cref="Store(int, float, ref float)"/> stores it (the same additions and
    /// activation per lane, so the same bits), with the bias added as one vector. False, with nothing stored, where that
    /// needs the per-output path: scales or zero points still to apply, a residual on any of the channels, or a bias shorter
    /// than j + 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryStoreChannels(int j, Vector256<float> dot, ref float y, nint stride)
    {
        if (!_scales.IsEmpty || !_zeroPoints.IsEmpty || j < _residualRows || (!_bias.IsEmpty && j + 8 > _bias.Length))
        {
            return false;
        }

        Vector256<float> v = _bias.IsEmpty ? dot : dot + Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(_bias), (nuint)j);
        if (_relu)
        {
            v = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v);
        }

        Vector128<float> lo = v.GetLower(), hi = v.GetUpper();
        y = lo.ToScalar();
        Unsafe.Add(ref y, stride) = lo.GetElement(1);
        Unsafe.Add(ref y, 2 * stride) = lo.GetElement(2);
        Unsafe.Add(ref y, 3 * stride) = lo.GetElement(3);
        Unsafe.Add(ref y, 4 * stride) = hi.ToScalar();
        Unsafe.Add(ref y, 5 * stride) = hi.GetElement(1);
        Unsafe.Add(ref y, 6 * stride) = hi.GetElement(2);
        Unsafe.Add(ref y, 7 * stride) = hi.GetElement(3);
        return true;
    }

    /// <summary>This epilogue for the 512-bit packed conv tiles (<see cref="ZmmEpilogue"/>; no scales or zero points left).</summary>
    /// <exception cref="InvalidOperationException">Scales or zero points are still to apply (only packed, dequantised weights come here).</exception>
    public ZmmEpilogue Zmm() =>
        _scales.IsEmpty && _zeroPoints.IsEmpty ? new(_bias, _relu, _residual, _residualRows)
        : throw new InvalidOperationException("The 512-bit conv tiles take dequantised (packed) weights only.");

    /// <summary>Whether a residual is added (then tiles call <c>AddResidual</c> on every output before storing any).</summary>
    public bool HasResidual => _residualRows > 0;

    // Tiles add the residuals of all their outputs before their first store: a residual load issued after a store whose
    // address matches it modulo 4 KiB waits for that store (4K aliasing), and with p a multiple of 1024 floats every row
    // of y and of the residual falls on the same 4 KiB offsets (BlazeFace's 1×1 convs ran 40 % slower interleaved).

    /// <summary>For an output channel with a residual: <c>v = (v + bias[j]) + residual</c> of the 8 outputs at <c>y[offset]</c>; else nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddResidual(int j, ref Vector256<float> v, ref float y, nuint offset = 0)
    {
        if (j < _residualRows)
        {
            v = (_bias.IsEmpty ? v : v + Vector256.Create(_bias[j])) + Vector256.LoadUnsafe(ref Unsafe.Add(ref Unsafe.Add(ref y, offset), _residual));
        }
    }

    /// <summary>The 128-bit form of <see cref="AddResidual(int, ref Vector256{float}, ref float, nuint)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddResidual(int j, ref Vector128<float> v, ref float y, nuint offset = 0)
    {
        if (j < _residualRows)
        {
            v = (_bias.IsEmpty ? v : v + Vector128.Create(_bias[j])) + Vector128.LoadUnsafe(ref Unsafe.Add(ref Unsafe.Add(ref y, offset), _residual));
        }
    }

    /// <summary>
    /// Row <paramref name="j"/>'s part of this epilogue as plain values, for a tile to store several vectors of one output
    /// channel through <see cref="RowEpilogue"/>. Why: this struct is passed by reference and the tiles store through
    /// <c>ref float</c>, which the JIT must assume may alias it, so each vector <see cref="Store(int, Vector256{float}, ref float, nuint)"/>
    /// re-read its spans, re-checked the index and re-tested every flag (about 20 instructions per vector; with K = 16 the
    /// 12 stores of a 4 × 24 conv tile cost about a third of its FMAs). The values and the order of operations are the
    /// same, so every result bit is too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public RowEpilogue Row(int j)
    {
        int relu = _relu ? RowEpilogue.Relu : 0;
        if (j < _residualRows)
        {
            // Bias and residual were added by AddResidual: only the activation is left.
            return new RowEpilogue(0, 0, 0, relu);
        }

        int flags = relu;
        float zeroPoint = 0, scale = 0, bias = 0;
        if (!_zeroPoints.IsEmpty)
        {
            zeroPoint = _zeroPoints[j];
            flags |= RowEpilogue.ZeroPoint;
        }

        if (!_scales.IsEmpty)
        {
            scale = _scales[j];
            flags |= RowEpilogue.Scale;
        }

        if (!_bias.IsEmpty)
        {
            bias = _bias[j];
            flags |= RowEpilogue.Bias;
        }

        return new RowEpilogue(zeroPoint, scale, bias, flags);
    }

    /// <summary>
    /// Stores 8 outputs at <c>y[offset]</c>: <c>Apply(j, dot)</c>, or for a channel with a residual only the activation
    /// (its bias and residual were added by <c>AddResidual</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int j, Vector256<float> dot, ref float y, nuint offset = 0)
    {
        if (j >= _residualRows)
        {
            Apply(j, dot, default).StoreUnsafe(ref y, offset);
            return;
        }

        (_relu ? Vector256.ConditionalSelect(Vector256.LessThan(dot, Vector256<float>.Zero), Vector256<float>.Zero, dot) : dot).StoreUnsafe(ref y, offset);
    }

    /// <summary>The 128-bit form of <see cref="Store(int, Vector256{float}, ref float, nuint)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int j, Vector128<float> dot, ref float y, nuint offset = 0)
    {
        if (j >= _residualRows)
        {
            Apply(j, dot, default).StoreUnsafe(ref y, offset);
            return;
        }

        (_relu ? Vector128.ConditionalSelect(Vector128.LessThan(dot, Vector128<float>.Zero), Vector128<float>.Zero, dot) : dot).StoreUnsafe(ref y, offset);
    }
}

/// <summary>
/// One output channel's epilogue (<see cref="Epilogue.Row"/>): the stores of <see cref="Epilogue"/>'s vector
/// <c>Store(j, …)</c> for that channel, from four values a tile keeps in registers.
/// </summary>
internal readonly struct RowEpilogue(float zeroPoint, float scale, float bias, int flags)
{
    public const int Relu = 1, ZeroPoint = 2, Scale = 4, Bias = 8;

    /// <summary>Stores the 8 outputs <c>dot</c> at <c>y[offset]</c> as <see cref="Epilogue.Store(int, Vector256{float}, ref float, nuint)"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Vector256<float> dot, ref float y, nuint offset = 0)
    {
        Vector256<float> v = dot;
        if ((flags & ZeroPoint) != 0)
        {
            v -= default(Vector256<float>) * zeroPoint;
        }

        if ((flags & Scale) != 0)
        {
            v *= scale;
        }

        if ((flags & Bias) != 0)
        {
            v += Vector256.Create(bias);
        }

        ((flags & Relu) != 0 ? Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v) : v).StoreUnsafe(ref y, offset);
    }

    /// <summary>The 128-bit form of <see cref="Store(Vector256{float}, ref float, nuint)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Vector128<float> dot, ref float y, nuint offset = 0)
    {
        Vector128<float> v = dot;
        if ((flags & ZeroPoint) != 0)
        {
            v -= default(Vector128<float>) * zeroPoint;
        }

        if ((flags & Scale) != 0)
        {
            v *= scale;
        }

        if ((flags & Bias) != 0)
        {
            v += Vector128.Create(bias);
        }

        ((flags & Relu) != 0 ? Vector128.ConditionalSelect(Vector128.LessThan(v, Vector128<float>.Zero), Vector128<float>.Zero, v) : v).StoreUnsafe(ref y, offset);
    }
}
