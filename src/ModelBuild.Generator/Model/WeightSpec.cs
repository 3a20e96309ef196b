namespace ModelBuild.Generator.Model;

/// <summary>A weights-blob entry as the plan describes it (for comments and docs; the blob holds the values).</summary>
internal sealed record WeightSpec(int Index, string Name, string Format, EquatableArray<int> Dims);
