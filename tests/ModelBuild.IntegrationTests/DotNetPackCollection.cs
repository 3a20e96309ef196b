namespace ModelBuild.IntegrationTests;

/// <summary>
/// Tests that pack the repo's projects (`dotnet pack --no-restore -p:PackageVersion=…`) and build consumers from the
/// local feed. Packing sets only the package version, so the repo's assemblies and restore outputs stay as the
/// solution build left them and the in-repo builds of <see cref="DotNetBuildCollection"/> can run beside this
/// collection; the packs share the portable (RID-less) outputs, so they run one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DotNetPackCollection
{
    public const string Name = "dotnet pack";
}
