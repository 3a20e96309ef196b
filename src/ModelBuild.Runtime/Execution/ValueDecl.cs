namespace ModelBuild.Runtime.Execution;

/// <summary>
/// One tensor of a model program: an activation that lives in a slot of the per-thread arena, a constant
/// decoded from the weights blob, or a small constant written inline in the plan.
/// </summary>
/// <param name="Name">The ONNX value name, for error messages.</param>
/// <param name="Type">Element type.</param>
/// <param name="Slot">The arena slot of an activation (values whose lifetimes do not overlap share one); -1 for constants.</param>
/// <param name="BlobEntry">The weights-blob entry of a blob constant; -1 otherwise.</param>
/// <param name="Shape">The fixed shape of a constant; empty for activations (their shape is known per call).</param>
/// <param name="Floats">The values of an inline float constant.</param>
/// <param name="Longs">The values of an inline int64 or bool constant (bools as 0/1).</param>
public sealed record ValueDecl(string Name, TensorType Type, int Slot, int BlobEntry, int[] Shape, float[]? Floats, long[]? Longs)
{
    /// <summary>An activation stored in arena slot <paramref name="slot"/>.</summary>
    public static ValueDecl Activation(string name, TensorType type, int slot) => new(name, type, slot, -1, [], null, null);

    /// <summary>A float constant: blob entry <paramref name="entry"/> decoded to float32, reshaped to <paramref name="shape"/>.</summary>
    public static ValueDecl Blob(string name, int entry, int[] shape) => new(name, TensorType.Float32, -1, entry, shape, null, null);

    /// <summary>A float constant given inline.</summary>
    public static ValueDecl Inline(string name, float[] values, int[] shape) => new(name, TensorType.Float32, -1, -1, shape, values, null);

    /// <summary>An int64 (or bool, as 0/1) constant given inline.</summary>
    public static ValueDecl Inline(string name, TensorType type, long[] values, int[] shape) => new(name, type, -1, -1, shape, null, values);

    /// <summary>Whether the value is computed per call (as opposed to a constant).</summary>
    public bool IsActivation => Slot >= 0;
}
