namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Tests that change a kernel's static switch or size (for example <see cref="BlockedWinograd.ChunkFloats"/>) run alone:
/// a test in another class running at the same time would see the changed value.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelSwitchCollection
{
    public const string Name = "Kernel switches";
}
