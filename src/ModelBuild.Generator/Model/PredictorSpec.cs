namespace ModelBuild.Generator.Model;

/// <summary>Everything the emitter needs to write one predictor class, read from a plan file (version 2).</summary>
/// <remarks>
/// Invariant: every member has value equality (strings, numbers, records and <see cref="EquatableArray{T}"/>),
/// and nothing refers to Roslyn objects (<c>ISymbol</c>, <c>Location</c>, <c>AdditionalText</c>) or to weights,
/// so an unchanged plan yields an equal spec and the incremental pipeline skips emission.
/// </remarks>
internal sealed record PredictorSpec(
    string PlanPath,
    string ClassName,
    string Namespace,
    string SourceFile,
    string Resource,
    InfoSpec Info,
    EquatableArray<WeightSpec> Weights,
    EquatableArray<ValueSpec> Values,
    EquatableArray<TensorSpec> Inputs,
    EquatableArray<TensorSpec> Outputs,
    EquatableArray<OpSpec> Ops);
