namespace ModelBuild.Generator.Model;

/// <summary>The batch dimension: dynamic (any batch ≥ 1, named <see cref="Symbol"/>) or a fixed size.</summary>
internal sealed record BatchSpec(bool IsDynamic, string Symbol, int FixedSize);
