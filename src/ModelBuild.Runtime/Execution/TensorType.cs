namespace ModelBuild.Runtime.Execution;

/// <summary>The element type of a tensor in an executing plan (ONNX <c>TensorProto.DataType</c> subset).</summary>
public enum TensorType : byte
{
    /// <summary>IEEE 754 single precision (ONNX FLOAT = 1), 4 bytes.</summary>
    Float32,

    /// <summary>Signed 64-bit integer (ONNX INT64 = 7), 8 bytes: shapes, indices, token ids.</summary>
    Int64,

    /// <summary>Boolean (ONNX BOOL = 9), one byte per element, 0 or 1.</summary>
    Bool,
}
