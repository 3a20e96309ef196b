namespace ModelBuild.Generator.Model;

/// <summary>
/// A plan <c>value</c>: an activation in arena slot <see cref="Slot"/>, a blob constant (<see cref="Blob"/>) or an
/// inline constant (<see cref="Data"/>, the plan's list token). <see cref="Dims"/> is a constant's fixed shape (parsed
/// and checked by the parser; empty for activations); <see cref="Shape"/> the build-time shape text for comments.
/// </summary>
internal sealed record ValueSpec(int Id, string Name, string Type, int Slot, int Blob, EquatableArray<int> Dims, string Data, string Shape);
