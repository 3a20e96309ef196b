using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.OnnxRuntime;

/// <summary>
/// Converts between the typed API's element types (float, long, bool: README, "The generated predictor") and the
/// model's own ONNX types at the boundary, as the generated code does: float16, bfloat16 and float64 tensors are
/// typed float, integer tensors long.
/// </summary>
internal static class ElementConversion
{
    /// <summary>Copies <paramref name="source"/> (of the typed API's type) into an ONNX Runtime tensor of <paramref name="target"/>.</summary>
    public static void ToOrt(TensorType type, ReadOnlySpan<byte> source, TensorElementType target, Span<byte> destination)
    {
        switch (type)
        {
            case TensorType.Float32:
                var floats = MemoryMarshal.Cast<byte, float>(source);
                switch (target)
                {
                    case TensorElementType.Float: source.CopyTo(destination); return;
                    case TensorElementType.Double: Each(floats, MemoryMarshal.Cast<byte, double>(destination), v => v); return;
                    case TensorElementType.Float16: Each(floats, MemoryMarshal.Cast<byte, Half>(destination), v => (Half)v); return;
                    case TensorElementType.BFloat16: Each(floats, MemoryMarshal.Cast<byte, ushort>(destination), ToBFloat16); return;
                }

                break;
            case TensorType.Int64:
                var longs = MemoryMarshal.Cast<byte, long>(source);
                switch (target)
                {
                    case TensorElementType.Int64: source.CopyTo(destination); return;
                    case TensorElementType.Int32: Each(longs, MemoryMarshal.Cast<byte, int>(destination), v => (int)v); return;
                    case TensorElementType.Int16: Each(longs, MemoryMarshal.Cast<byte, short>(destination), v => (short)v); return;
                    case TensorElementType.Int8: Each(longs, MemoryMarshal.Cast<byte, sbyte>(destination), v => (sbyte)v); return;
                    case TensorElementType.UInt8: Each(longs, destination, v => (byte)v); return;
                    case TensorElementType.UInt16: Each(longs, MemoryMarshal.Cast<byte, ushort>(destination), v => (ushort)v); return;
                    case TensorElementType.UInt32: Each(longs, MemoryMarshal.Cast<byte, uint>(destination), v => (uint)v); return;
                    case TensorElementType.UInt64: Each(longs, MemoryMarshal.Cast<byte, ulong>(destination), v => (ulong)v); return;
                }

                break;
            case TensorType.Bool when target == TensorElementType.Bool:
                source.CopyTo(destination);
                return;
        }

        throw new InvalidOperationException($"The typed API's {type} cannot feed an ONNX Runtime {target} tensor.");
    }

    /// <summary>Copies an ONNX Runtime tensor of <paramref name="source"/>'s type into the typed API's <paramref name="type"/>.</summary>
    public static void FromOrt(TensorElementType sourceType, ReadOnlySpan<byte> source, TensorType type, Span<byte> destination)
    {
        switch (type)
        {
            case TensorType.Float32:
                var floats = MemoryMarshal.Cast<byte, float>(destination);
                switch (sourceType)
                {
                    case TensorElementType.Float: source.CopyTo(destination); return;
                    case TensorElementType.Double: Each(MemoryMarshal.Cast<byte, double>(source), floats, v => (float)v); return;
                    case TensorElementType.Float16: Each(MemoryMarshal.Cast<byte, Half>(source), floats, v => (float)v); return;
                    case TensorElementType.BFloat16: Each(MemoryMarshal.Cast<byte, ushort>(source), floats, v => BitConverter.Int32BitsToSingle(v << 16)); return;
                }

                break;
            case TensorType.Int64:
                var longs = MemoryMarshal.Cast<byte, long>(destination);
                switch (sourceType)
                {
                    case TensorElementType.Int64: source.CopyTo(destination); return;
                    case TensorElementType.Int32: Each(MemoryMarshal.Cast<byte, int>(source), longs, v => v); return;
                    case TensorElementType.Int16: Each(MemoryMarshal.Cast<byte, short>(source), longs, v => v); return;
                    case TensorElementType.Int8: Each(MemoryMarshal.Cast<byte, sbyte>(source), longs, v => v); return;
                    case TensorElementType.UInt8: Each(source, longs, v => v); return;
                    case TensorElementType.UInt16: Each(MemoryMarshal.Cast<byte, ushort>(source), longs, v => v); return;
                    case TensorElementType.UInt32: Each(MemoryMarshal.Cast<byte, uint>(source), longs, v => v); return;
                    case TensorElementType.UInt64: Each(MemoryMarshal.Cast<byte, ulong>(source), longs, v => (long)v); return;
                }

                break;
            case TensorType.Bool when sourceType == TensorElementType.Bool:
                source.CopyTo(destination);
                return;
        }

        throw new InvalidOperationException($"An ONNX Runtime {sourceType} tensor cannot be returned as the typed API's {type}.");
    }

    /// <summary>Round to nearest even, as ONNX Runtime's own float → bfloat16 conversion (NaN stays NaN).</summary>
    private static ushort ToBFloat16(float value)
    {
        if (float.IsNaN(value))
        {
            return 0x7FC0;
        }

        var bits = (uint)BitConverter.SingleToInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    private static void Each<TFrom, TTo>(ReadOnlySpan<TFrom> from, Span<TTo> to, Func<TFrom, TTo> convert)
    {
        for (var i = 0; i < from.Length; i++)
        {
            to[i] = convert(from[i]);
        }
    }
}
