namespace ModelBuild.Generator.Model;

/// <summary>
/// An equatable stand-in for a Roslyn <c>Diagnostic</c> (which compares by reference and holds a
/// <c>Location</c>): the descriptor id, the message argument and the plan position (1-based line and column).
/// </summary>
internal sealed record DiagnosticInfo(string Id, string Message, string Path, int Line, int Column, int Offset, int Length);

/// <summary>What parsing one plan yields: a spec, or diagnostics and no spec.</summary>
internal sealed record PlanResult(PredictorSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
