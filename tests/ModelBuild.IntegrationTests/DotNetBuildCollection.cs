namespace ModelBuild.IntegrationTests;

/// <summary>
/// Consumer builds share the repo's build outputs (src/*/bin); running two at once would race on them, so every
/// test that runs `dotnet build` joins this one sequential collection.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DotNetBuildCollection
{
    public const string Name = "dotnet build";
}
