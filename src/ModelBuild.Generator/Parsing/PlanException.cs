using System;

namespace ModelBuild.Generator.Parsing;

/// <summary>
/// A plan error at a known position. Thrown inside the parser and turned into one diagnostic by
/// <see cref="PlanParser.Parse"/>: the first problem makes the plan unusable, so there is no point going on.
/// </summary>
internal sealed class PlanException(string id, string message, int line, int column) : Exception(message)
{
    public string Id { get; } = id;

    public int Line { get; } = line;

    public int Column { get; } = column;
}
