using ModelBuild.Onnx.Proto;
using DT = ModelBuild.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelBuild.Onnx;

/// <summary>Storage facts about ONNX <c>TensorProto.DataType</c> codes, from the ONNX IR specification.</summary>
public static class OnnxDataTypes
{
    /// <summary>Which repeated field holds a tensor's values when <c>raw_data</c> is absent.</summary>
    public enum TypedField
    {
        None,
        FloatData,
        Int32Data,
        Int64Data,
        DoubleData,
        UInt64Data,
        StringData,
    }

    /// <summary>
    /// The exact <c>raw_data</c> length for <paramref name="elementCount"/> elements, or null when the type is a
    /// string or unknown to this reader. 4-bit types pack two elements per byte.
    /// </summary>
    public static long? RawByteCount(int dataType, long elementCount) => (DT)dataType switch
    {
        DT.Float or DT.Int32 or DT.Uint32 => checked(elementCount * 4),
        DT.Double or DT.Int64 or DT.Uint64 or DT.Complex64 => checked(elementCount * 8),
        DT.Complex128 => checked(elementCount * 16),
        DT.Float16 or DT.Bfloat16 or DT.Int16 or DT.Uint16 => checked(elementCount * 2),
        DT.Int8 or DT.Uint8 or DT.Bool or DT.Float8E4M3Fn or DT.Float8E4M3Fnuz or DT.Float8E5M2 or DT.Float8E5M2Fnuz => elementCount,
        DT.Uint4 or DT.Int4 => (elementCount + 1) / 2,
        _ => null,
    };

    /// <summary>The typed field for <paramref name="dataType"/> and how many entries it must hold.</summary>
    public static (TypedField Field, long Count) TypedStorage(int dataType, long elementCount) => (DT)dataType switch
    {
        DT.Float => (TypedField.FloatData, elementCount),
        DT.Complex64 => (TypedField.FloatData, checked(elementCount * 2)),
        DT.Int32 or DT.Int16 or DT.Int8 or DT.Uint16 or DT.Uint8 or DT.Bool or DT.Float16 or DT.Bfloat16
            or DT.Float8E4M3Fn or DT.Float8E4M3Fnuz or DT.Float8E5M2 or DT.Float8E5M2Fnuz => (TypedField.Int32Data, elementCount),
        DT.Int4 or DT.Uint4 => (TypedField.Int32Data, (elementCount + 1) / 2),
        DT.Int64 => (TypedField.Int64Data, elementCount),
        DT.Double => (TypedField.DoubleData, elementCount),
        DT.Complex128 => (TypedField.DoubleData, checked(elementCount * 2)),
        DT.Uint32 or DT.Uint64 => (TypedField.UInt64Data, elementCount),
        DT.String => (TypedField.StringData, elementCount),
        _ => (TypedField.None, 0),
    };

    /// <summary>How many entries <paramref name="field"/> holds in <paramref name="tensor"/>.</summary>
    public static long FieldCount(TensorProto tensor, TypedField field) => field switch
    {
        TypedField.FloatData => tensor.FloatData.Count,
        TypedField.Int32Data => tensor.Int32Data.Count,
        TypedField.Int64Data => tensor.Int64Data.Count,
        TypedField.DoubleData => tensor.DoubleData.Count,
        TypedField.UInt64Data => tensor.Uint64Data.Count,
        TypedField.StringData => tensor.StringData.Count,
        _ => 0,
    };

    /// <summary>Total entries in all typed fields (to spot data stored in the wrong field).</summary>
    public static long AllTypedCount(TensorProto t) =>
        (long)t.FloatData.Count + t.Int32Data.Count + t.Int64Data.Count + t.DoubleData.Count + t.Uint64Data.Count + t.StringData.Count;
}
