namespace ModelBuild.Generator.Parsing;

/// <summary>One token of a plan line: a bare word or quoted string, or <c>key=value</c>. Column is 1-based.</summary>
internal sealed record PlanToken(string? Key, string Value, bool Quoted, int Column);
