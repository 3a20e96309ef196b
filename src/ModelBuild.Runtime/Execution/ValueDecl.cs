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

    /// <summary>
    /// The activation and blob values of a program from the compact table generated code emits: per value, in
    /// <paramref name="fields"/>, its kind (0 activation, 1 blob constant, 2 inline constant, left null here for the
    /// generated code to set), <see cref="TensorType"/>, slot or blob entry, name length (UTF-16 units, the name being
    /// the next piece of <paramref name="names"/>), rank and dims. One string and one span of static data instead of a
    /// call per value keeps the generated method small: its JIT-compilation is part of every process's first prediction
    /// (300 calls were ≈ 5 ms of ppocr_rec's cold start, issue 12).
    /// </summary>
    /// <param name="names">Every value's name, concatenated.</param>
    /// <param name="fields">The table above.</param>
    /// <param name="count">Number of values.</param>
    /// <returns>The values; inline constants' places are null.</returns>
    /// <exception cref="ArgumentException">The table does not match its names or holds an unknown kind or type.</exception>
    public static ValueDecl[] Table(string names, ReadOnlySpan<int> fields, int count)
    {
        ArgumentNullException.ThrowIfNull(names);
        var values = new ValueDecl[count];
        int at = 0, name = 0;
        for (int v = 0; v < count; v++)
        {
            if (at + 5 > fields.Length)
            {
                throw new ArgumentException($"The value table ends before value {v}.", nameof(fields));
            }

            int kind = fields[at], type = fields[at + 1], index = fields[at + 2], length = fields[at + 3], rank = fields[at + 4];
            at += 5;
            // A range check, not Enum.IsDefined: its generic code is JIT-compiled on first use (cold start).
            if ((uint)type > (uint)TensorType.Bool || length < 0 || name + length > names.Length || rank < 0 || at + rank > fields.Length)
            {
                throw new ArgumentException($"Value {v}'s table entry is malformed.", nameof(fields));
            }

            string text = names.Substring(name, length);
            name += length;
            int[] shape = fields.Slice(at, rank).ToArray();
            at += rank;
            values[v] = kind switch
            {
                0 => Activation(text, (TensorType)type, index),
                1 => Blob(text, index, shape),
                2 => null!,
                _ => throw new ArgumentException($"Value {v} has the unknown kind {kind}.", nameof(fields)),
            };
        }

        return values;
    }

    /// <summary>Whether the value is computed per call (as opposed to a constant).</summary>
    public bool IsActivation => Slot >= 0;
}
