namespace ModelBuild.Generator.Model;

/// <summary>The plan's <c>info</c> record: sizes before and after compression and the passes applied.</summary>
internal sealed record InfoSpec(long OriginalBytes, long EmbeddedBytes, EquatableArray<string> Passes);
